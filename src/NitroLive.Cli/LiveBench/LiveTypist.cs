using System.Diagnostics;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NitroLive.Cli.Evaluation;
using NitroLive.Web.Hubs;

namespace NitroLive.Cli.LiveBench;

/// <summary>A frame as one typist saw it; ServerMs is the server's own part, request accepted to frame ready to send.</summary>
internal readonly record struct SeenFrame(long ReceivedAt, double GenerateMs, double QueueWaitMs, double ServerMs, string Prompt, int BatchSize, bool Reused = false, bool Draft = false);

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

    // A prompt whose final frame was a draft: its request and last keystroke, until its full-step picture arrives.
    private long _fullAwaitedRequestId = -1;
    private long _fullAwaitedKeystroke;
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

    /// <summary>A prompt's last keystroke to its full-step picture, when its first frame was a draft.</summary>
    public List<double> KeystrokeToFullFrameMs { get; } = [];

    public List<double> FinalPipelineMs { get; } = [];

    public List<double> FinalQueueWaitMs { get; } = [];

    public List<double> FinalServerMs { get; } = [];

    public List<double> FinalOutsideServerMs { get; } = [];

    public List<double> PipelineMs { get; } = [];

    public List<double> RequestToFrameMs { get; } = [];

    /// <summary>
    /// Every generated request's keystroke to its first frame minus that frame's generation: the live path's own cost,
    /// in the server around the generation (queue, hand-over, encode) and outside it (the hub call in, the frame out).
    /// </summary>
    public List<double> LivePathMs { get; } = [];

    public List<double> LivePathInServerMs { get; } = [];

    public List<double> LivePathOutsideServerMs { get; } = [];

    public List<double> QueueWaitMs { get; } = [];

    public List<double> TransportMs { get; } = [];

    public List<string> Errors { get; } = [];

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        await _connection.StartAsync(cancellationToken);
        var joined = await _connection.InvokeAsync<JoinedMessage>(LiveHubContract.CreateSession,
            new CreateSessionMessage
            {
                DisplayName = $"bench-{_index}",
                TypingOpen = false,
                Initial = new RequestPatchMessage { Steps = _settings.Steps, DraftWhileTyping = _settings.Drafts },
            },
            cancellationToken);
        _sessionId = joined.SessionId;
        _reader = ReadFramesAsync(_stop.Token);
    }

    /// <summary>Types on its rhythm whatever the frames do; the server keeps only the newest request.</summary>
    public async Task TypeLatestWinsAsync(long deadline, CancellationToken cancellationToken)
    {
        await DelayUntilAsync(Stopwatch.GetTimestamp() + MsToTicks(_rhythm.StartOffsetMs()), cancellationToken);
        for (var n = 0; Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested; n++)
        {
            var prompt = DemoPrompts.All[(_index + n) % DemoPrompts.All.Length];
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
            var prompt = DemoPrompts.All[(_index + n) % DemoPrompts.All.Length];
            BeginPrompt();
            var ids = new List<long>(prompt.Length);
            var start = Stopwatch.GetTimestamp();
            long typedAt = start, lastId = -1;
            SeenFrame? final = null;
            for (var length = 1; length <= prompt.Length; length++)
            {
                typedAt = length == 1 ? start : typedAt + MsToTicks(_rhythm.NextIntervalMs());
                await DelayUntilAsync(typedAt, cancellationToken);

                // The keystroke happened at typedAt (what keystroke-to-frame counts from); its request leaves only now,
                // once the previous frame is back, and the request's own times (request to frame, live path) start here.
                var id = await SendAsync(prompt[..length], Stopwatch.GetTimestamp(), cancellationToken, length == 1 ? NextSeed() : null);
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
            KeystrokeToFullFrameMs.Clear();
            FinalPipelineMs.Clear();
            FinalQueueWaitMs.Clear();
            FinalServerMs.Clear();
            FinalOutsideServerMs.Clear();
            PipelineMs.Clear();
            RequestToFrameMs.Clear();
            LivePathMs.Clear();
            LivePathInServerMs.Clear();
            LivePathOutsideServerMs.Clear();
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

    /// <summary>Splits a generated request's time to its first frame; a reused frame had no generation to subtract.</summary>
    private void CountLivePath(double requestToFrameMs, SeenFrame frame)
    {
        if (frame.Reused)
        {
            return;
        }

        LivePathMs.Add(requestToFrameMs - frame.GenerateMs);
        LivePathInServerMs.Add(frame.ServerMs - frame.GenerateMs);
        LivePathOutsideServerMs.Add(requestToFrameMs - frame.ServerMs);
    }

    /// <summary>A letter that is not <paramref name="right"/>.</summary>
    private static char WrongLetter(char right) => right == 'q' ? 'z' : 'q';

    private async Task<long> SendAsync(string text, long sentAt, CancellationToken cancellationToken, long? seed = null, bool backspace = false)
    {
        try
        {
            var accepted = seed is { } newSeed
                ? await _connection.InvokeAsync<RequestAcceptedMessage>(
                    LiveHubContract.UpdateRequest, _sessionId, new RequestPatchMessage { Prompt = text, Seed = newSeed }, cancellationToken)
                : await _connection.InvokeAsync<RequestAcceptedMessage>(LiveHubContract.SetPrompt, _sessionId, text, cancellationToken);
            Accepted(accepted.RequestId, sentAt, backspace);
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

    /// <summary>Counts a request the hub accepted, sent at <paramref name="sentAt"/>.</summary>
    internal void Accepted(long requestId, long sentAt, bool backspace = false)
    {
        lock (_gate)
        {
            Keystrokes++;
            _sentAt[requestId] = sentAt;
            if (backspace)
            {
                Typos++;
                _backspaces.Add(requestId);
            }

            // The frame can beat the invocation's answer back; its latency is known only now.
            if (_seen.TryGetValue(requestId, out var early))
            {
                var ms = TicksToMs(early.ReceivedAt - sentAt);
                RequestToFrameMs.Add(ms);
                CountLivePath(ms, early);
                if (backspace)
                {
                    CountBackspaceFrame(ms, early.Reused);
                }
            }
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

            if (final.Draft && ids.Count > 0)
            {
                _fullAwaitedRequestId = ids[^1];
                _fullAwaitedKeystroke = lastKeystroke;
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
            var seen = new SeenFrame(receivedAt, frame.Timings.GenerateMs, frame.Timings.QueueWaitMs, frame.Timings.TotalMs, frame.Request.Prompt, frame.Timings.BatchSize, frame.Timings.Reused, frame.Draft);
            if (!frame.Draft && frame.RequestId == _fullAwaitedRequestId)
            {
                KeystrokeToFullFrameMs.Add(TicksToMs(receivedAt - _fullAwaitedKeystroke));
                _fullAwaitedRequestId = -1;
            }

            // A draft's full picture repeats its request: the request's first frame is the one its keystroke waited for.
            var first = !_seen.ContainsKey(frame.RequestId);
            if (frame.Draft || first)
            {
                _seen[frame.RequestId] = seen;
            }

            // Only a request's first frame answers it: the full picture after a draft came after the refine pause.
            if (first && _sentAt.TryGetValue(frame.RequestId, out var sentAt))
            {
                var ms = TicksToMs(receivedAt - sentAt);
                RequestToFrameMs.Add(ms);
                CountLivePath(ms, seen);

                if (_backspaces.Contains(frame.RequestId))
                {
                    CountBackspaceFrame(ms, frame.Timings.Reused);
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
