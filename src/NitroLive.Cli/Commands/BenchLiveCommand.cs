using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using NitroLive.Cli.CommandLine;
using NitroLive.Cli.LiveBench;

namespace NitroLive.Cli.Commands;

/// <summary>
/// <c>nitrolive bench live --url URL</c>: N simulated typists over the public hub, each in its own session, typing
/// prompts letter by letter. Prints one JSON object: frames and fps, keystroke-to-frame latency (last keystroke of a
/// prompt to the frame of exactly that prompt), stale frames, skipped requests, server memory before/after (from
/// /metrics) and the overhead of the live path over the pipeline's own time.
/// </summary>
internal static class BenchLiveCommand
{
    internal const string UsageLine =
        "usage: bench live --url URL [--clients N] [--duration S] [--warmup S] [--cadence-ms MS] [--jitter PCT] [--typos PCT] [--mode latest|fifo|both] [--pause-ms MS] " +
        "[--frame-timeout-s S] [--protocol messagepack|json] [--steps N] [--drafts on|off] [--allow-remote]";

    /// <summary>Each interval drawn from cadence x (1 +/- 50%), typists out of step, unless --jitter says otherwise.</summary>
    internal const int DefaultJitterPercent = 50;

    /// <summary>
    /// Seconds of typing before measuring, thrown away: a fresh client process compiles its SignalR and MessagePack
    /// code while it starts typing, and on a machine it shares with the server that costs the server the CPU it needs
    /// (measured: the first 3 to 4 seconds of a run had queue waits ten times the rest).
    /// </summary>
    internal const int DefaultWarmupSeconds = 5;

    private static readonly CliOption<Uri?> Url = new("--url", "an http(s) URL such as http://127.0.0.1:5000", TryReadUrl, required: true);
    private static readonly CliOption<int?> Clients = CliOptions.Int("--clients", 1, 1024);
    private static readonly CliOption<int?> Duration = CliOptions.Int("--duration", 1, 86_400);
    private static readonly CliOption<int?> Warmup = CliOptions.Int("--warmup", 0, 3600);
    private static readonly CliOption<int?> CadenceMs = CliOptions.Int("--cadence-ms", 0, 10_000);
    private static readonly CliOption<int?> Jitter = CliOptions.Int("--jitter", 0, 100);
    private static readonly CliOption<int?> Typos = CliOptions.Int("--typos", 0, 50);
    private static readonly CliOption<string?> Mode = CliOptions.Choice("--mode", ["latest", "fifo", "both"]);
    private static readonly CliOption<int?> PauseMs = CliOptions.Int("--pause-ms", 0, 60_000);
    private static readonly CliOption<int?> FrameTimeout = CliOptions.Int("--frame-timeout-s", 1, 3600);
    private static readonly CliOption<string?> Protocol = CliOptions.Choice("--protocol", ["messagepack", "json"]);
    private static readonly CliOption<int?> Steps = CliOptions.Int("--steps", 1, 4);
    private static readonly CliOption<string?> Drafts = CliOptions.Choice("--drafts", ["on", "off"]);
    private static readonly CliOption AllowRemote = CliOptions.Flag("--allow-remote");
    private static readonly CommandSyntax Syntax = new(Url, Clients, Duration, Warmup, CadenceMs, Jitter, Typos, Mode, PauseMs, FrameTimeout, Protocol, AllowRemote, Steps, Drafts);

    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error, CancellationToken.None);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!CommandStart.TryParse<LiveBenchSettings>("bench live", UsageLine, args, TryParse, output, error, out var settings, out var exitCode))
        {
            return exitCode;
        }

        if (!settings.AllowRemote && !await IsLoopbackAsync(settings.Url, cancellationToken))
        {
            await error.WriteLineAsync($"nitrolive bench live: {settings.Url} is not a loopback address; load tests run against 127.0.0.1 only (--allow-remote overrides).");
            return 2;
        }

        using var http = new HttpClient { BaseAddress = settings.Url, Timeout = TimeSpan.FromSeconds(10) };
        if (!await WaitUntilReadyAsync(http, error, cancellationToken))
        {
            return 1;
        }

        var runs = new List<LiveRunResult>();
        foreach (var mode in settings.Modes)
        {
            await error.WriteLineAsync($"nitrolive bench live: {mode}, {settings.Clients} clients, {settings.Warmup.TotalSeconds:F0} s warm-up + {settings.Duration.TotalSeconds:F0} s, one keystroke every {settings.CadenceMs} ms +/- {settings.JitterPercent}%");
            runs.Add(await RunModeAsync(settings, mode, http, cancellationToken));
        }

        await output.WriteLineAsync(ToJson(settings, runs));
        return runs.All(r => r.PromptsCompleted > 0) ? 0 : 1;
    }

    internal static async Task<LiveRunResult> RunModeAsync(LiveBenchSettings settings, string mode, HttpClient http, CancellationToken cancellationToken)
    {
        var memoryBefore = await ServerScrape.ScrapeAsync(http, cancellationToken);
        var typists = Enumerable.Range(0, settings.Clients).Select(i => new LiveTypist(i, settings)).ToList();
        try
        {
            await Task.WhenAll(typists.Select(t => t.ConnectAsync(cancellationToken)));

            using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var samples = new List<ServerScrape>();
            var sampler = SampleMemoryAsync(http, samples, sampling.Token);

            if (settings.Warmup > TimeSpan.Zero)
            {
                await TypeAsync(typists, mode, settings.Warmup, cancellationToken);
                foreach (var typist in typists)
                {
                    typist.ForgetMeasurements();
                }
            }

            // The generators' busy seconds around exactly the measured typing: how loaded the server was.
            var measuredStart = await ServerScrape.ScrapeAsync(http, cancellationToken);
            var clock = Stopwatch.StartNew();
            await TypeAsync(typists, mode, settings.Duration, cancellationToken);
            var elapsed = clock.Elapsed;
            var measuredEnd = await ServerScrape.ScrapeAsync(http, cancellationToken);
            var utilization = ServerScrape.GeneratorUtilization(measuredStart, measuredEnd, clock.Elapsed);

            await sampling.CancelAsync();
            await sampler;
            foreach (var typist in typists)
            {
                await typist.DisposeAsync();
            }

            // Let the server notice the disconnects before its memory is read again.
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            var memoryAfter = await ServerScrape.ScrapeAsync(http, cancellationToken);
            return LiveRunResult.From(mode, settings, typists, elapsed, memoryBefore, memoryAfter, samples, utilization);
        }
        finally
        {
            foreach (var typist in typists)
            {
                await typist.DisposeAsync();
            }
        }
    }

    private static Task TypeAsync(List<LiveTypist> typists, string mode, TimeSpan duration, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        return Task.WhenAll(typists.Select(t => mode == "fifo"
            ? t.TypeFifoAsync(deadline, cancellationToken)
            : t.TypeLatestWinsAsync(deadline, cancellationToken)));
    }

    private static async Task SampleMemoryAsync(HttpClient http, List<ServerScrape> samples, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (await ServerScrape.ScrapeAsync(http, cancellationToken) is { } sample)
                {
                    samples.Add(sample);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run ended.
        }
    }

    private static async Task<bool> WaitUntilReadyAsync(HttpClient http, TextWriter error, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (180 * Stopwatch.Frequency);
        string last = "no answer";
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                using var response = await http.GetAsync(new Uri("readyz", UriKind.Relative), cancellationToken);
                if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotFound)
                {
                    return true;
                }

                last = $"/readyz answered {(int)response.StatusCode}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "/readyz timed out";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }

        await error.WriteLineAsync($"nitrolive bench live: the server at {http.BaseAddress} did not become ready in 180 s ({last}).");
        return false;
    }

    private static async Task<bool> IsLoopbackAsync(Uri url, CancellationToken cancellationToken)
    {
        if (url.IsLoopback)
        {
            return true;
        }

        try
        {
            var addresses = await Dns.GetHostAddressesAsync(url.DnsSafeHost, cancellationToken);
            return addresses.Length > 0 && addresses.All(IPAddress.IsLoopback);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    internal static bool TryParse(string[] args, out LiveBenchSettings settings, [NotNullWhen(false)] out string? error)
    {
        settings = null!;
        if (!Syntax.TryParse(args, out var options, out error))
        {
            return false;
        }

        string[] modes = options.Get(Mode) switch
        {
            "fifo" => ["fifo"],
            "both" => ["latest", "fifo"],
            _ => ["latest"],
        };
        settings = new LiveBenchSettings(options.Get(Url)!, options.Get(Clients) ?? 4, TimeSpan.FromSeconds(options.Get(Duration) ?? 30),
            TimeSpan.FromSeconds(options.Get(Warmup) ?? DefaultWarmupSeconds),
            options.Get(CadenceMs) ?? 80, options.Get(Jitter) ?? DefaultJitterPercent, options.Get(PauseMs) ?? 300, TimeSpan.FromSeconds(options.Get(FrameTimeout) ?? 60), modes,
            options.Get(Protocol) ?? "messagepack", options.Has(AllowRemote), options.Get(Typos) ?? 0,
            options.Get(Steps), options.Get(Drafts) is { } drafts ? drafts == "on" : null);
        return true;
    }

    /// <summary>An absolute http(s) URL; a missing trailing slash is added so relative paths resolve under it.</summary>
    private static bool TryReadUrl(string text, out Uri? url) =>
        Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out url)
        && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps);

    internal static string ToJson(LiveBenchSettings settings, IReadOnlyList<LiveRunResult> runs)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            if (runs.Count == 1)
            {
                runs[0].Write(json, settings);
            }
            else
            {
                json.WriteStartObject();
                foreach (var run in runs)
                {
                    json.WritePropertyName(run.Mode);
                    run.Write(json, settings);
                }

                var latest = runs.FirstOrDefault(r => r.Mode == "latest");
                var fifo = runs.FirstOrDefault(r => r.Mode == "fifo");
                BenchSummary.WriteRatio(json, "fifo_over_latest_keystroke_to_frame_p50", fifo?.KeystrokeToFrame?.P50, latest?.KeystrokeToFrame?.P50);
                BenchSummary.WriteRatio(json, "fifo_over_latest_keystroke_to_frame_p95", fifo?.KeystrokeToFrame?.P95, latest?.KeystrokeToFrame?.P95);
                json.WriteEndObject();
            }
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
