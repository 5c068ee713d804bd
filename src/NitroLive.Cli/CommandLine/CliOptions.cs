using System.Globalization;
using NitroLive.Core.Pipeline;

namespace NitroLive.Cli.CommandLine;

/// <summary>The kinds of option the commands use.</summary>
internal static class CliOptions
{
    public static CliOption Flag(string name) => new(name);

    /// <summary>Any text, taken as given (even text that starts with "--").</summary>
    public static CliOption<string?> Text(string name, string expected, bool required = false) =>
        new(name, expected, static (string text, out string? value) =>
        {
            value = text;
            return true;
        }, required);

    /// <summary>An integer within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static CliOption<int?> Int(string name, int min = int.MinValue, int max = int.MaxValue, bool required = false)
    {
        var expected = (min, max) switch
        {
            (int.MinValue, int.MaxValue) => "an integer",
            (_, int.MaxValue) => $"an integer of at least {min}",
            _ => $"an integer from {min} to {max}",
        };
        return new(name, expected, (string text, out int? value) =>
        {
            value = ParseInt(text, min, max);
            return value is not null;
        }, required);
    }

    public static CliOption<long?> Long(string name) =>
        new(name, "an integer", static (string text, out long? value) =>
        {
            value = long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
            return value is not null;
        });

    /// <summary>One of <paramref name="choices"/>, spelled exactly.</summary>
    public static CliOption<string?> Choice(string name, IReadOnlyList<string> choices) =>
        new(name, OneOf(choices), (string text, out string? value) =>
        {
            value = choices.Contains(text, StringComparer.Ordinal) ? text : null;
            return value is not null;
        });

    /// <summary><c>--provider auto|cpu|cuda</c>, any case.</summary>
    public static CliOption<ProviderPreference?> Provider() =>
        new("--provider", "auto, cpu or cuda", static (string text, out ProviderPreference? value) =>
        {
            value = text.ToUpperInvariant() switch
            {
                "AUTO" => ProviderPreference.Auto,
                "CPU" => ProviderPreference.Cpu,
                "CUDA" => ProviderPreference.Cuda,
                _ => null,
            };
            return value is not null;
        });

    /// <summary>"WxH" (or "WXH"), each side within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static CliOption<(int Width, int Height)?> Size(string name, int min, int max) =>
        new(name, $"WxH such as 128x128, each side {min} to {max}", (string text, out (int Width, int Height)? value) =>
        {
            value = ParseSize(text, min, max);
            return value is not null;
        });

    /// <summary>A comma-separated list of integers within [<paramref name="min"/>, <paramref name="max"/>] ("1,4"); duplicates dropped.</summary>
    public static CliOption<IReadOnlyList<int>?> IntList(string name, int min, int max) =>
        new(name, $"integers from {min} to {max}, comma-separated", (string text, out IReadOnlyList<int>? value) =>
        {
            value = ReadList(text, part => ParseInt(part, min, max));
            return value is not null;
        });

    /// <summary>A comma-separated list of "WxH" sizes ("512x512,1024x1024"), each side within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static CliOption<IReadOnlyList<(int Width, int Height)>?> SizeList(string name, int min, int max) =>
        new(name, $"WxH sizes such as 128x128 or 512x512,1024x1024, each side {min} to {max}",
            (string text, out IReadOnlyList<(int Width, int Height)>? value) =>
            {
                value = ReadList(text, part => ParseSize(part, min, max));
                return value is not null;
            });

    private static int? ParseInt(string text, int min, int max) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max ? n : null;

    private static (int Width, int Height)? ParseSize(string text, int min, int max)
    {
        var parts = text.Split('x', 'X');
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var width)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var height)
            && width >= min && width <= max && height >= min && height <= max
            ? (width, height)
            : null;
    }

    private static List<T>? ReadList<T>(string text, Func<string, T?> readOne)
        where T : struct
    {
        var values = new List<T>();
        foreach (var part in text.Split(','))
        {
            if (readOne(part.Trim()) is not { } value)
            {
                return null;
            }

            if (!values.Contains(value))
            {
                values.Add(value);
            }
        }

        return values;
    }

    /// <summary>"a, b or c".</summary>
    internal static string OneOf(IReadOnlyList<string> choices) =>
        choices.Count <= 1 ? string.Join("", choices) : $"{string.Join(", ", choices.Take(choices.Count - 1))} or {choices[^1]}";
}
