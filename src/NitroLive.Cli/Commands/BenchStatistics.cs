using System.Globalization;
using System.Text.Json;

namespace NitroLive.Cli.Commands;

/// <summary>Order statistics of a sample and how the bench commands write them.</summary>
internal sealed record BenchSummary(int Count, double Min, double P50, double P95, double P99, double Max, double Mean)
{
    public static BenchSummary? Of(IEnumerable<double> values)
    {
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        return new BenchSummary(sorted.Length, sorted[0], Percentile(sorted, 0.50), Percentile(sorted, 0.95),
            Percentile(sorted, 0.99), sorted[^1], sorted.Average());
    }

    /// <summary>Linear interpolation between closest ranks (numpy's default), on an ascending array.</summary>
    public static double Percentile(double[] sorted, double quantile)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sorted.Length);
        var position = quantile * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }

    /// <summary>Writes {count, min, p50, p95, p99, max, mean} in milliseconds rounded to 0.001, or null.</summary>
    public static void Write(Utf8JsonWriter json, string name, BenchSummary? summary)
    {
        if (summary is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        json.WriteNumber("count", summary.Count);
        json.WriteNumber("min", Round(summary.Min));
        json.WriteNumber("p50", Round(summary.P50));
        json.WriteNumber("p95", Round(summary.P95));
        json.WriteNumber("p99", Round(summary.P99));
        json.WriteNumber("max", Round(summary.Max));
        json.WriteNumber("mean", Round(summary.Mean));
        json.WriteEndObject();
    }

    public static double Round(double value) => Math.Round(value, 3);

    public static void WriteRatio(Utf8JsonWriter json, string name, double? numerator, double? denominator)
    {
        if (numerator is { } n && denominator is { } d && d > 0)
        {
            json.WriteNumber(name, Math.Round(n / d, 3));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}

/// <summary>Parses "--name value" options shared by the bench commands.</summary>
internal sealed class BenchArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private BenchArguments()
    {
    }

    /// <summary>Splits args into valued options (from <paramref name="valued"/>) and flags; anything else is an error.</summary>
    public static bool TryParse(string[] args, IReadOnlyCollection<string> valued, IReadOnlyCollection<string> flags, out BenchArguments parsed, out string error)
    {
        parsed = new BenchArguments();
        error = string.Empty;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (flags.Contains(name))
            {
                parsed._flags.Add(name);
                continue;
            }

            if (!valued.Contains(name))
            {
                error = name.StartsWith("--", StringComparison.Ordinal) ? $"unknown option '{name}'" : $"unexpected argument '{name}'";
                return false;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value";
                return false;
            }

            parsed._values[name] = args[++i];
        }

        return true;
    }

    public bool Has(string flag) => _flags.Contains(flag);

    public string? String(string name) => _values.GetValueOrDefault(name);

    /// <summary>An integer option within [min, max], or <paramref name="fallback"/> when absent.</summary>
    public bool TryInt(string name, int fallback, int min, int max, out int value, ref string error)
    {
        value = fallback;
        if (!_values.TryGetValue(name, out var text))
        {
            return true;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) || value < min || value > max)
        {
            error = $"{name} must be an integer from {min} to {max}, not '{text}'";
            return false;
        }

        return true;
    }

    /// <summary>"WxH", e.g. 128x128, each side 8 to 4096.</summary>
    public bool TrySize(string name, out (int Width, int Height)? size, ref string error)
    {
        size = null;
        if (!_values.TryGetValue(name, out var text))
        {
            return true;
        }

        var parts = text.Split('x', 'X');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var width)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var height)
            && width is >= 8 and <= 4096 && height is >= 8 and <= 4096)
        {
            size = (width, height);
            return true;
        }

        error = $"{name} must look like 128x128 (each side 8 to 4096), not '{text}'";
        return false;
    }
}
