using System.Globalization;
using System.Text.Json;

namespace NitroLive.Cli.LiveBench;

/// <summary>
/// What the bench reads off the server's Prometheus endpoint: its memory (the runtime's own System.Runtime meter),
/// sessions, and the generators' busy seconds and instance count.
/// </summary>
internal sealed record ServerScrape(double? WorkingSetMb, double? GcHeapMb, double? Sessions, double? GeneratorBusySeconds = null, double? GeneratorInstances = null)
{
    /// <summary>
    /// The share of <paramref name="elapsed"/> the generators spent in calls between two scrapes (calls are counted when
    /// they end, so each end may be off by one call); null when either scrape lacks the figures.
    /// </summary>
    public static double? GeneratorUtilization(ServerScrape? start, ServerScrape? end, TimeSpan elapsed)
    {
        if (start is null || end is not { GeneratorInstances: > 0 and var instances } || elapsed <= TimeSpan.Zero)
        {
            return null;
        }

        // Before the first call ends the busy counter has no series yet: it stands at zero.
        var busy = (end.GeneratorBusySeconds ?? 0) - (start.GeneratorBusySeconds ?? 0);
        return Math.Max(0, busy) / (elapsed.TotalSeconds * instances);
    }

    public static async Task<ServerScrape?> ScrapeAsync(HttpClient http, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            using var response = await http.GetAsync(new Uri("metrics", UriKind.Relative), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The client's own timeout: a server too busy to answer in time has no figure this once, and the run goes on.
            return null;
        }

        var sums = Parse(text);
        return new ServerScrape(
            sums.TryGetValue("dotnet_process_memory_working_set_bytes", out var ws) ? ws / 1048576.0 : null,
            sums.TryGetValue("dotnet_gc_last_collection_heap_size_bytes", out var heap) ? heap / 1048576.0 : null,
            sums.TryGetValue("nitrolive_sessions", out var sessions) ? sessions : null,
            sums.TryGetValue("nitrolive_generator_busy_seconds_total", out var busy) ? busy : null,
            sums.TryGetValue("nitrolive_generator_instances", out var instances) ? instances : null);
    }

    /// <summary>Sums every sample of each metric in the Prometheus text format (labels are summed over).</summary>
    internal static Dictionary<string, double> Parse(string text)
    {
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var nameEnd = line.IndexOfAny(['{', ' ']);
            if (nameEnd <= 0)
            {
                continue;
            }

            var name = line[..nameEnd];
            var rest = line[nameEnd..];
            if (rest[0] == '{')
            {
                var close = rest.LastIndexOf('}');
                if (close < 0)
                {
                    continue;
                }

                rest = rest[(close + 1)..];
            }

            var parts = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
            {
                sums[name] = sums.GetValueOrDefault(name) + value;
            }
        }

        return sums;
    }

    public static void Write(Utf8JsonWriter json, string name, ServerScrape? memory)
    {
        if (memory is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        WriteNumber(json, "working_set_mb", memory.WorkingSetMb);
        WriteNumber(json, "gc_heap_mb", memory.GcHeapMb);
        WriteNumber(json, "sessions", memory.Sessions);
        json.WriteEndObject();
    }

    private static void WriteNumber(Utf8JsonWriter json, string name, double? value)
    {
        json.WritePropertyName(name);
        WriteNumber(json, value);
    }

    /// <summary>Writes <paramref name="value"/> (rounded to 0.1) or null where the server did not report it.</summary>
    public static void WriteNumber(Utf8JsonWriter json, double? value)
    {
        if (value is { } v)
        {
            json.WriteNumberValue(Math.Round(v, 1));
        }
        else
        {
            json.WriteNullValue();
        }
    }
}
