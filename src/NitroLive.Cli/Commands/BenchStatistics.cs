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
