using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NitroLive.Cli.CommandLine;
using NitroLive.Web.Hubs;

namespace NitroLive.Cli.Commands;

/// <summary>
/// <c>nitrolive bench live --url URL</c>: N simulated typists over the public hub, each in its own session, typing
/// prompts letter by letter. Prints one JSON object: frames and fps, keystroke-to-frame latency (last keystroke of a
/// prompt to the frame of exactly that prompt), stale frames, skipped requests, server memory before/after (from
/// /metrics) and the overhead of the live path over the pipeline's own time.
/// </summary>
internal static class BenchLiveCommand
{
    private const string UsageLine =
        "usage: bench live --url URL [--clients N] [--duration S] [--warmup S] [--cadence-ms MS] [--jitter PCT] [--typos PCT] [--mode latest|fifo|both] [--pause-ms MS] " +
        "[--frame-timeout-s S] [--protocol messagepack|json] [--allow-remote]";

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
    private static readonly CliOption AllowRemote = CliOptions.Flag("--allow-remote");
    private static readonly CommandSyntax Syntax = new(Url, Clients, Duration, Warmup, CadenceMs, Jitter, Typos, Mode, PauseMs, FrameTimeout, Protocol, AllowRemote);

    /// <summary>Prompts in the embedded model's grammar (colours, shapes, counts, sizes, positions, backgrounds).</summary>
    internal static readonly string[] Prompts =
    [
        "a red circle on a blue background",
        "two yellow triangles",
        "a big green square at the top left",
        "three small purple circles on a white background",
        "a small orange triangle in the center",
        "a blue square at the bottom right on a yellow background",
        "a black circle at the left and a white square at the right",
        "two big red squares on a green background",
        "a purple triangle at the top",
        "three orange circles at the bottom on a black background",
        "a small yellow square and a big blue circle",
        "a white triangle on a red background",
    ];

    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error, CancellationToken.None);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!TryParse(args, out var settings, out var problem))
        {
            await error.WriteLineAsync($"nitrolive bench live: {problem}\n{UsageLine}");
            return 2;
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
            options.Get(Protocol) ?? "messagepack", options.Has(AllowRemote), options.Get(Typos) ?? 0);
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

/// <summary>What <c>bench live</c> runs.</summary>
// TyposPercent: the chance per keystroke (after a prompt's first) that a typist hits a wrong letter and takes it back
// with a backspace before typing the right one, each on the typist's rhythm; latest-wins mode only.
internal sealed record LiveBenchSettings(
    Uri Url, int Clients, TimeSpan Duration, TimeSpan Warmup, int CadenceMs, int JitterPercent, int PauseMs, TimeSpan FrameTimeout, IReadOnlyList<string> Modes,
    string Protocol, bool AllowRemote, int TyposPercent = 0);

/// <summary>A frame as one typist saw it; ServerMs is the server's own part, request accepted to frame ready to send.</summary>
internal readonly record struct SeenFrame(long ReceivedAt, double GenerateMs, double QueueWaitMs, double ServerMs, string Prompt, int BatchSize, bool Reused = false);

/// <summary>
/// One simulated person: one connection, one session of their own, a frame reader on the hub's Frames stream and a
/// typing loop. Everything it measures is guarded by one lock (the reader and the typing loop run concurrently).
/// </summary>
internal sealed class LiveTypist : IAsyncDisposable
{
    private readonly int _index;

    // Seeds of this typist's prompts start here: random, so that no two runs, modes or typists share one.
    private readonly long _seedBase = Random.Shared.NextInt64(1, 1L << 50);
    private long _promptsStarted;
    private readonly LiveBenchSettings _settings;
    private readonly TypingRhythm _rhythm;
    private readonly HubConnection _connection;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, SeenFrame> _seen = [];
    private readonly Dictionary<long, long> _sentAt = [];
    private readonly HashSet<long> _backspaces = [];
    private readonly CancellationTokenSource _stop = new();
    private string _sessionId = string.Empty;
    private Task _reader = Task.CompletedTask;
    private long _lastSequence;
    private long _lastRequestId;
    private long _awaitedRequestId = -1;
    private TaskCompletionSource<SeenFrame>? _awaited;
    private bool _disposed;

    public LiveTypist(int index, LiveBenchSettings settings)
    {
        _index = index;
        _settings = settings;
        _rhythm = new TypingRhythm(index, settings.CadenceMs, settings.JitterPercent);
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(settings.Url, LiveHubContract.Path.TrimStart('/')), o => o.Transports = HttpTransportType.WebSockets);
        if (settings.Protocol == "messagepack")
        {
            builder.AddMessagePackProtocol();
        }

        builder.Services.Configure<HubConnectionOptions>(o => o.ServerTimeout = TimeSpan.FromSeconds(60));
        _connection = builder.Build();
    }

    public int Frames { get; private set; }

    public int StaleFrames { get; private set; }

    /// <summary>Frames the server answered with a picture already made (on screen or cached): no generation, so no pipeline time.</summary>
    public int ReusedFrames { get; private set; }

    /// <summary>Wrong letters typed and taken back (<c>--typos</c>).</summary>
    public int Typos { get; private set; }

    /// <summary>Frames of backspaces that reused a picture already made.</summary>
    public int BackspaceFramesReused { get; private set; }

    /// <summary>From a backspace's keystroke to the frame of exactly the text it left, in ms.</summary>
    public List<double> BackspaceToFrameMs { get; } = [];

    public int WrongPromptFrames { get; private set; }

    public int Keystrokes { get; private set; }

    public int SkippedRequests { get; private set; }

    public int RejectedCalls { get; private set; }

    public int PromptsCompleted { get; private set; }

    public int PromptsTimedOut { get; private set; }

    public int MaxBatch { get; private set; }

    public List<double> KeystrokeToFrameMs { get; } = [];

    public List<double> FinalPipelineMs { get; } = [];

    public List<double> FinalQueueWaitMs { get; } = [];

    public List<double> FinalServerMs { get; } = [];

    public List<double> FinalOutsideServerMs { get; } = [];

    public List<double> PipelineMs { get; } = [];

    public List<double> RequestToFrameMs { get; } = [];

    public List<double> QueueWaitMs { get; } = [];

    public List<double> TransportMs { get; } = [];

    public List<string> Errors { get; } = [];

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        await _connection.StartAsync(cancellationToken);
        var joined = await _connection.InvokeAsync<JoinedMessage>(LiveHubContract.CreateSession,
            new CreateSessionMessage { DisplayName = $"bench-{_index}", TypingOpen = false }, cancellationToken);
        _sessionId = joined.SessionId;
        _reader = ReadFramesAsync(_stop.Token);
    }

    /// <summary>Types on its rhythm whatever the frames do; the server keeps only the newest request.</summary>
    public async Task TypeLatestWinsAsync(long deadline, CancellationToken cancellationToken)
    {
        await DelayUntilAsync(Stopwatch.GetTimestamp() + MsToTicks(_rhythm.StartOffsetMs()), cancellationToken);
        for (var n = 0; Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested; n++)
        {
            var prompt = BenchLiveCommand.Prompts[(_index + n) % BenchLiveCommand.Prompts.Length];
            BeginPrompt();
            var ids = new List<long>(prompt.Length);
            long lastKeystroke = 0, lastId = -1;
            var next = Stopwatch.GetTimestamp();

            // One keystroke on the rhythm: the text it leaves in the field, sent when its time comes.
            async Task<(long Id, long SentAt)> PressAsync(string text, long? seed = null, bool backspace = false)
            {
                await DelayUntilAsync(next, cancellationToken);
                var sentAt = Stopwatch.GetTimestamp();
                var id = await SendAsync(text, sentAt, cancellationToken, seed, backspace);
                if (id >= 0)
                {
                    ids.Add(id);
                }

                next = sentAt + MsToTicks(_rhythm.NextIntervalMs());
                return (id, sentAt);
            }

            for (var length = 1; length <= prompt.Length; length++)
            {
                if (length > 1 && _rhythm.Typo(_settings.TyposPercent))
                {
                    // A wrong letter, then a backspace back to text typed a moment ago.
                    await PressAsync(prompt[..(length - 1)] + WrongLetter(prompt[length - 1]));
                    await PressAsync(prompt[..(length - 1)], backspace: true);
                }

                var (id, sentAt) = await PressAsync(prompt[..length], length == 1 ? NextSeed() : null);
                if (id >= 0)
                {
                    lastId = id;
                    lastKeystroke = sentAt;
                }
            }

            if (lastId >= 0 && await WaitForFrameAsync(lastId, cancellationToken) is { } final)
            {
                CompletePrompt(prompt, final, lastKeystroke, ids);
            }

            await Task.Delay(_settings.PauseMs, cancellationToken);
        }
    }

    /// <summary>
    /// What a FIFO server would give the same typist: keystroke k still happens on the typist's rhythm, but its request
    /// is sent only once the previous keystroke's frame is back, so every keystroke is generated, in order.
    /// </summary>
    public async Task TypeFifoAsync(long deadline, CancellationToken cancellationToken)
    {
        await DelayUntilAsync(Stopwatch.GetTimestamp() + MsToTicks(_rhythm.StartOffsetMs()), cancellationToken);
        for (var n = 0; Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested; n++)
        {
            var prompt = BenchLiveCommand.Prompts[(_index + n) % BenchLiveCommand.Prompts.Length];
            BeginPrompt();
            var ids = new List<long>(prompt.Length);
            var start = Stopwatch.GetTimestamp();
            long typedAt = start, lastId = -1;
            SeenFrame? final = null;
            for (var length = 1; length <= prompt.Length; length++)
            {
                typedAt = length == 1 ? start : typedAt + MsToTicks(_rhythm.NextIntervalMs());
                await DelayUntilAsync(typedAt, cancellationToken);
                var id = await SendAsync(prompt[..length], typedAt, cancellationToken, length == 1 ? NextSeed() : null);
                if (id < 0)
                {
                    continue;
                }

                ids.Add(id);
                lastId = id;
                final = await WaitForFrameAsync(id, cancellationToken);
                if (final is null)
                {
                    break;
                }
            }

            if (lastId >= 0 && final is { } frame)
            {
                CompletePrompt(prompt, frame, typedAt, ids);
            }

            await Task.Delay(_settings.PauseMs, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stop.CancelAsync();
        try
        {
            await _reader;
        }
        catch (Exception ex) when (ex is OperationCanceledException or HubException or InvalidOperationException)
        {
            // The stream ends with the connection.
        }

        await _connection.DisposeAsync();
        _stop.Dispose();
    }

    /// <summary>
    /// Starts the counts and samples afresh after the warm-up (its errors stay: they are worth seeing). The newest
    /// sequence and request id seen stay too, so a stale frame is still caught across the boundary.
    /// </summary>
    public void ForgetMeasurements()
    {
        lock (_gate)
        {
            Frames = StaleFrames = ReusedFrames = WrongPromptFrames = Keystrokes = SkippedRequests = RejectedCalls = 0;
            PromptsCompleted = PromptsTimedOut = MaxBatch = 0;
            KeystrokeToFrameMs.Clear();
            FinalPipelineMs.Clear();
            FinalQueueWaitMs.Clear();
            FinalServerMs.Clear();
            FinalOutsideServerMs.Clear();
            PipelineMs.Clear();
            RequestToFrameMs.Clear();
            BackspaceToFrameMs.Clear();
            Typos = BackspaceFramesReused = 0;
            QueueWaitMs.Clear();
            TransportMs.Clear();
        }
    }

    private void BeginPrompt()
    {
        lock (_gate)
        {
            _seen.Clear();
            _sentAt.Clear();
            _backspaces.Clear();
        }
    }

    /// <summary>
    /// The seed of the prompt this typist starts, sent with its first keystroke: every prompt typed is a
    /// new picture, so the server's frame cache (which holds pictures by prompt and seed, for every session) never
    /// answers a prompt typed again, whether later in the run (the prompts repeat every twelve), by the other mode or by
    /// an earlier run against the same server; the bench measures generations. Within a prompt the seed stays, as in the
    /// studio's fixed-seed mode (the warm-up and the measured typing are two calls, so the count lives here).
    /// </summary>
    private long NextSeed() => _seedBase + _promptsStarted++;

    private void CountBackspaceFrame(double ms, bool reused)
    {
        BackspaceToFrameMs.Add(ms);
        if (reused)
        {
            BackspaceFramesReused++;
        }
    }

    /// <summary>A letter that is not <paramref name="right"/>.</summary>
    private static char WrongLetter(char right) => right == 'q' ? 'z' : 'q';

    private async Task<long> SendAsync(string text, long typedAt, CancellationToken cancellationToken, long? seed = null, bool backspace = false)
    {
        try
        {
            var accepted = seed is { } newSeed
                ? await _connection.InvokeAsync<RequestAcceptedMessage>(
                    LiveHubContract.UpdateRequest, _sessionId, new RequestPatchMessage { Prompt = text, Seed = newSeed }, cancellationToken)
                : await _connection.InvokeAsync<RequestAcceptedMessage>(LiveHubContract.SetPrompt, _sessionId, text, cancellationToken);
            lock (_gate)
            {
                Keystrokes++;
                _sentAt[accepted.RequestId] = typedAt;
                if (backspace)
                {
                    Typos++;
                    _backspaces.Add(accepted.RequestId);
                }

                // The frame can beat the invocation's answer back; its latency is known only now.
                if (_seen.TryGetValue(accepted.RequestId, out var early))
                {
                    RequestToFrameMs.Add(TicksToMs(early.ReceivedAt - typedAt));
                    if (backspace)
                    {
                        CountBackspaceFrame(TicksToMs(early.ReceivedAt - typedAt), early.Reused);
                    }
                }
            }

            return accepted.RequestId;
        }
        catch (HubException ex)
        {
            lock (_gate)
            {
                RejectedCalls++;
                if (Errors.Count < 5)
                {
                    Errors.Add(ex.Message);
                }
            }

            return -1;
        }
    }

    private async Task<SeenFrame?> WaitForFrameAsync(long requestId, CancellationToken cancellationToken)
    {
        TaskCompletionSource<SeenFrame> source;
        lock (_gate)
        {
            if (_seen.TryGetValue(requestId, out var seen))
            {
                return seen;
            }

            source = new TaskCompletionSource<SeenFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
            _awaitedRequestId = requestId;
            _awaited = source;
        }

        try
        {
            return await source.Task.WaitAsync(_settings.FrameTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            lock (_gate)
            {
                PromptsTimedOut++;
                if (Errors.Count < 5)
                {
                    Errors.Add($"no frame for request {requestId} within {_settings.FrameTimeout.TotalSeconds:F0} s");
                }
            }

            return null;
        }
        finally
        {
            lock (_gate)
            {
                _awaited = null;
                _awaitedRequestId = -1;
            }
        }
    }

    private void CompletePrompt(string prompt, SeenFrame final, long lastKeystroke, List<long> ids)
    {
        lock (_gate)
        {
            PromptsCompleted++;

            // A final frame that reused the picture before it cost no generation: left out of the latency figures,
            // which compare end-to-end time with the pipeline's time for the same frames.
            if (!final.Reused)
            {
                var keystrokeToFrame = TicksToMs(final.ReceivedAt - lastKeystroke);
                KeystrokeToFrameMs.Add(keystrokeToFrame);
                FinalPipelineMs.Add(final.GenerateMs);
                FinalQueueWaitMs.Add(final.QueueWaitMs);
                FinalServerMs.Add(final.ServerMs);
                FinalOutsideServerMs.Add(keystrokeToFrame - final.ServerMs);
            }

            if (!string.Equals(final.Prompt, prompt, StringComparison.Ordinal))
            {
                WrongPromptFrames++;
            }

            SkippedRequests += ids.Count(id => !_seen.ContainsKey(id));
        }
    }

    /// <summary>Counts one frame from the stream, received at <paramref name="receivedAt"/> (a Stopwatch timestamp).</summary>
    internal void Observe(FrameMessage frame, long receivedAt, long receivedAtUnixMs)
    {
        lock (_gate)
        {
            Frames++;
            if (frame.Sequence <= _lastSequence || frame.RequestId < _lastRequestId)
            {
                StaleFrames++;
            }

            _lastSequence = Math.Max(_lastSequence, frame.Sequence);
            _lastRequestId = Math.Max(_lastRequestId, frame.RequestId);
            if (frame.Timings.Reused)
            {
                ReusedFrames++;
            }
            else
            {
                MaxBatch = Math.Max(MaxBatch, frame.Timings.BatchSize);
                PipelineMs.Add(frame.Timings.GenerateMs);
                QueueWaitMs.Add(frame.Timings.QueueWaitMs);
            }

            TransportMs.Add(receivedAtUnixMs - frame.CreatedAtUnixMs);
            var seen = new SeenFrame(receivedAt, frame.Timings.GenerateMs, frame.Timings.QueueWaitMs, frame.Timings.TotalMs, frame.Request.Prompt, frame.Timings.BatchSize, frame.Timings.Reused);
            _seen[frame.RequestId] = seen;
            if (_sentAt.TryGetValue(frame.RequestId, out var sentAt))
            {
                RequestToFrameMs.Add(TicksToMs(receivedAt - sentAt));
                if (_backspaces.Contains(frame.RequestId))
                {
                    CountBackspaceFrame(TicksToMs(receivedAt - sentAt), frame.Timings.Reused);
                }
            }

            if (frame.RequestId == _awaitedRequestId)
            {
                _awaited?.TrySetResult(seen);
            }
        }
    }

    private async Task ReadFramesAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var frame in _connection.StreamAsync<FrameMessage>(LiveHubContract.Frames, _sessionId, cancellationToken))
            {
                Observe(frame, Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed.
        }
        catch (Exception ex) when (ex is HubException or InvalidOperationException or IOException)
        {
            lock (_gate)
            {
                Errors.Add($"frame stream ended: {ex.Message}");
            }
        }
    }

    private static async Task DelayUntilAsync(long timestamp, CancellationToken cancellationToken)
    {
        var wait = TicksToMs(timestamp - Stopwatch.GetTimestamp());
        if (wait > 0.5)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(wait), cancellationToken);
        }
    }

    private static long MsToTicks(double ms) => (long)(ms * Stopwatch.Frequency / 1000.0);

    private static double TicksToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}

/// <summary>One mode's measurements, summed over typists.</summary>
internal sealed record LiveRunResult(
    string Mode,
    int Clients,
    double ElapsedSeconds,
    int Frames,
    BenchSummary? FpsPerClient,
    int Keystrokes,
    int PromptsCompleted,
    int PromptsTimedOut,
    int SkippedRequests,
    int RejectedCalls,
    int StaleFrames,
    int ReusedFrames,
    int Typos,
    int BackspaceFramesReused,
    BenchSummary? BackspaceToFrame,
    int WrongPromptFrames,
    int MaxBatch,
    BenchSummary? KeystrokeToFrame,
    BenchSummary? FinalPipeline,
    BenchSummary? FinalQueueWait,
    BenchSummary? FinalServer,
    BenchSummary? FinalOutsideServer,
    BenchSummary? Pipeline,
    BenchSummary? RequestToFrame,
    BenchSummary? QueueWait,
    BenchSummary? Transport,
    ServerScrape? MemoryBefore,
    ServerScrape? MemoryAfter,
    IReadOnlyList<ServerScrape> MemorySamples,
    double? GeneratorUtilization,
    IReadOnlyList<string> Errors)
{
    public static LiveRunResult From(string mode, LiveBenchSettings settings, IReadOnlyList<LiveTypist> typists, TimeSpan elapsed,
        ServerScrape? before, ServerScrape? after, IReadOnlyList<ServerScrape> samples, double? generatorUtilization = null) => new(
        mode,
        settings.Clients,
        elapsed.TotalSeconds,
        typists.Sum(t => t.Frames),
        BenchSummary.Of(typists.Select(t => t.Frames / elapsed.TotalSeconds)),
        typists.Sum(t => t.Keystrokes),
        typists.Sum(t => t.PromptsCompleted),
        typists.Sum(t => t.PromptsTimedOut),
        typists.Sum(t => t.SkippedRequests),
        typists.Sum(t => t.RejectedCalls),
        typists.Sum(t => t.StaleFrames),
        typists.Sum(t => t.ReusedFrames),
        typists.Sum(t => t.Typos),
        typists.Sum(t => t.BackspaceFramesReused),
        BenchSummary.Of(typists.SelectMany(t => t.BackspaceToFrameMs)),
        typists.Sum(t => t.WrongPromptFrames),
        typists.Max(t => t.MaxBatch),
        BenchSummary.Of(typists.SelectMany(t => t.KeystrokeToFrameMs)),
        BenchSummary.Of(typists.SelectMany(t => t.FinalPipelineMs)),
        BenchSummary.Of(typists.SelectMany(t => t.FinalQueueWaitMs)),
        BenchSummary.Of(typists.SelectMany(t => t.FinalServerMs)),
        BenchSummary.Of(typists.SelectMany(t => t.FinalOutsideServerMs)),
        BenchSummary.Of(typists.SelectMany(t => t.PipelineMs)),
        BenchSummary.Of(typists.SelectMany(t => t.RequestToFrameMs)),
        BenchSummary.Of(typists.SelectMany(t => t.QueueWaitMs)),
        BenchSummary.Of(typists.SelectMany(t => t.TransportMs)),
        before,
        after,
        samples,
        generatorUtilization,
        typists.SelectMany(t => t.Errors).Distinct(StringComparer.Ordinal).Take(10).ToList());

    public void Write(Utf8JsonWriter json, LiveBenchSettings settings)
    {
        json.WriteStartObject();
        json.WriteString("mode", Mode);
        json.WriteString("url", settings.Url.ToString());
        json.WriteString("protocol", settings.Protocol);
        json.WriteNumber("clients", Clients);
        json.WriteNumber("duration_s", BenchSummary.Round(ElapsedSeconds));
        json.WriteNumber("warmup_s", settings.Warmup.TotalSeconds);
        json.WriteNumber("cadence_ms", settings.CadenceMs);
        json.WriteNumber("jitter_percent", settings.JitterPercent);
        json.WriteNumber("pause_ms", settings.PauseMs);
        json.WriteNumber("frames", Frames);
        json.WriteNumber("fps_total", BenchSummary.Round(Frames / ElapsedSeconds));
        BenchSummary.Write(json, "fps_per_client", FpsPerClient);
        json.WriteNumber("keystrokes", Keystrokes);
        json.WriteNumber("prompts_completed", PromptsCompleted);
        json.WriteNumber("prompts_timed_out", PromptsTimedOut);
        json.WriteNumber("skipped_requests", SkippedRequests);
        json.WriteNumber("rejected_calls", RejectedCalls);
        json.WriteNumber("stale_frames", StaleFrames);
        json.WriteNumber("reused_frames", ReusedFrames);
        json.WriteNumber("typos_percent", settings.TyposPercent);
        json.WriteNumber("typos", Typos);
        BenchSummary.Write(json, "backspace_to_frame_ms", BackspaceToFrame);
        json.WriteNumber("backspace_frames_reused", BackspaceFramesReused);
        json.WriteNumber("wrong_prompt_frames", WrongPromptFrames);
        json.WriteNumber("max_batch", MaxBatch);
        BenchSummary.Write(json, "keystroke_to_frame_ms", KeystrokeToFrame);
        BenchSummary.Write(json, "pipeline_ms_of_final_frames", FinalPipeline);

        // Where a final keystroke's time went: waiting for a generator, the server's whole part (queue, generation,
        // encoding), and the rest (the hub call in and the frame out, both ends' scheduling included).
        json.WriteStartObject("final_frames_ms");
        BenchSummary.Write(json, "queue_wait", FinalQueueWait);
        BenchSummary.Write(json, "server_accept_to_ready", FinalServer);
        BenchSummary.Write(json, "outside_server", FinalOutsideServer);
        json.WriteEndObject();
        BenchSummary.Write(json, "pipeline_ms_all_frames", Pipeline);
        BenchSummary.Write(json, "request_to_frame_ms", RequestToFrame);
        BenchSummary.Write(json, "queue_wait_ms", QueueWait);
        BenchSummary.Write(json, "frame_ready_to_client_ms", Transport);

        // End-to-end over the pipeline's own time for the same frames (the final frame of each prompt).
        BenchSummary.WriteRatio(json, "overhead_ratio", KeystrokeToFrame?.P50, FinalPipeline?.P50);
        BenchSummary.WriteRatio(json, "request_overhead_ratio", RequestToFrame?.P50, Pipeline?.P50);

        // The share of the measured time the server's generators were busy (its metrics, null when not scraped):
        // where it nears 1 a keystroke usually waits for a generator, whatever the live path does.
        if (GeneratorUtilization is { } busy)
        {
            json.WriteNumber("generator_utilization", Math.Round(busy, 3));
        }
        else
        {
            json.WriteNull("generator_utilization");
        }

        // Issue 3's fairness target: each typist's final frame within (clients / batch + 1) generation times.
        var batch = Math.Max(1, MaxBatch);
        json.WriteNumber("final_frame_target_generations", BenchSummary.Round(((double)Clients / batch) + 1));
        BenchSummary.WriteRatio(json, "final_frame_generations_p99", KeystrokeToFrame?.P99, Pipeline?.P50);
        BenchSummary.WriteRatio(json, "final_frame_generations_max", KeystrokeToFrame?.Max, Pipeline?.P50);

        json.WriteStartObject("server_memory");
        ServerScrape.Write(json, "before", MemoryBefore);
        ServerScrape.Write(json, "after", MemoryAfter);
        json.WriteStartArray("working_set_mb_every_10s");
        foreach (var sample in MemorySamples)
        {
            json.WriteNumberValue(Math.Round(sample.WorkingSetMb ?? double.NaN, 1));
        }

        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteStartArray("errors");
        foreach (var message in Errors)
        {
            json.WriteStringValue(message);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}

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
            if (parts.Length > 0 && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
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
        if (value is { } v)
        {
            json.WriteNumber(name, Math.Round(v, 1));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
