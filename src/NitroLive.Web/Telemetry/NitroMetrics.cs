using System.Diagnostics.Metrics;

namespace NitroLive.Web.Telemetry;

/// <summary>
/// The "NitroLive" meter: what users feel (keystroke-to-frame latency, frames, drops) and where the time goes (stage
/// latencies), plus gauges of sessions, members and pending requests read from <see cref="ILiveGaugeSource"/>.
/// Exported at <c>/metrics</c> for Prometheus. Thread-safe; the live service calls it on its hot path, so every
/// method is a few atomic adds.
/// </summary>
internal sealed class NitroMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "NitroLive";

    // Interactive latencies: the interesting range is 10 ms to a few seconds.
    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10];

    private readonly Meter _meter;
    private readonly Counter<long> _frames;
    private readonly Counter<long> _framesDropped;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _generationFailures;
    private readonly Counter<long> _generationsCancelled;
    private readonly Counter<long> _hubCallsRejected;
    private readonly Histogram<double> _keystrokeToFrame;
    private readonly Histogram<double> _stage;
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _framesReused;
    private readonly Counter<double> _generatorBusy;

    public NitroMetrics(IMeterFactory meterFactory, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _frames = _meter.CreateCounter<long>("nitrolive.frames", "{frame}", "Frames published to sessions.");
        _framesDropped = _meter.CreateCounter<long>("nitrolive.frames.dropped", "{frame}",
            "Frames not delivered to a member, by reason: stale (a newer frame was already out), superseded (a newer frame replaced it before a slow member read it).");
        _framesReused = _meter.CreateCounter<long>("nitrolive.frames.reused", "{frame}",
            "Frames that answered a request with the picture already on screen, no generation (the prompt reads alike; also counted in nitrolive.frames).");
        _requests = _meter.CreateCounter<long>("nitrolive.requests", "{request}", "Request changes (keystrokes) accepted from members.");
        _generationFailures = _meter.CreateCounter<long>("nitrolive.generation.failures", "{call}", "Generator calls that threw.");
        _generationsCancelled = _meter.CreateCounter<long>("nitrolive.generation.cancelled", "{call}",
            "Generator calls cancelled because no request in them was wanted any more (superseded by a newer request, or the session emptied).");
        _hubCallsRejected = _meter.CreateCounter<long>("nitrolive.hub.rejected_calls", "{call}", "Hub invocations refused before reaching the hub, by reason (rate_limited).");
        _keystrokeToFrame = _meter.CreateHistogram("nitrolive.keystroke_to_frame.duration", "s",
            "Request accepted (the keystroke reached the server) to its frame ready for members.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _stage = _meter.CreateHistogram("nitrolive.stage.duration", "s",
            "Time of one pipeline stage of one frame, by stage: queue_wait, tokenize, text_encode, unet, decode, generate, image_encode.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _generatorBusy = _meter.CreateCounter<double>("nitrolive.generator.busy", "s",
            "Seconds the generators spent in live generator calls (cancelled and failed calls included), summed over instances. Its rate over nitrolive.generator.instances is the share of time they were busy: near 1, new keystrokes wait for a free generator.");
        _batchSize = _meter.CreateHistogram<int>("nitrolive.batch.size", "{request}", "Requests per generator call.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32] });

        // Resolved on first observation, not here: the gauge source is usually the live service, which may itself
        // depend on these metrics.
        var source = new Lazy<ILiveGaugeSource?>(() => (ILiveGaugeSource?)services.GetService(typeof(ILiveGaugeSource)));
        _meter.CreateObservableGauge("nitrolive.sessions", () => Observe(source, g => g.Sessions), "{session}", "Open live sessions.");
        _meter.CreateObservableGauge("nitrolive.members", () => Observe(source, g => g.Members), "{member}", "Members of all open sessions.");
        _meter.CreateObservableGauge("nitrolive.requests.pending", () => Observe(source, g => g.PendingRequests), "{request}",
            "Sessions whose newest request waits for the generator (at most one each: latest wins).");
        _meter.CreateObservableGauge("nitrolive.generator.instances", () => Observe(source, g => g.GeneratorInstances), "{instance}",
            "Generator calls that can run at once (one per generator instance).");
        _meter.CreateObservableGauge("nitrolive.frame_cache.size", () => ObserveLong(source, g => g.FrameCacheBytes), "By",
            "Bytes of pictures the frame cache holds (encoded frames and full-quality pixels), at most NitroLive:Live:FrameCacheMegabytes.");
        _meter.CreateObservableGauge("nitrolive.frame_cache.pictures", () => Observe(source, g => g.FrameCachePictures), "{picture}",
            "Pictures the frame cache holds.");
    }

    /// <summary>A member changed the request (one keystroke that reached the server).</summary>
    public void RequestAccepted() => _requests.Add(1);

    /// <summary>A frame was published to a session; <paramref name="keystrokeToFrameMs"/> runs from its request's acceptance.</summary>
    public void FrameDelivered(double keystrokeToFrameMs)
    {
        _frames.Add(1);
        _keystrokeToFrame.Record(keystrokeToFrameMs / 1000.0);
    }

    /// <summary>A frame that reused the picture on screen was published; <paramref name="keystrokeToFrameMs"/> as for any frame.</summary>
    public void FrameReused(double keystrokeToFrameMs)
    {
        FrameDelivered(keystrokeToFrameMs);
        _framesReused.Add(1);
    }

    /// <summary>The stage timings of one frame (all in milliseconds; negative or NaN values are skipped).</summary>
    public void StagesTimed(double queueWaitMs, double tokenizeMs, double textEncodeMs, double unetMs, double decodeMs, double generateMs, double imageEncodeMs)
    {
        Stage("queue_wait", queueWaitMs);
        Stage("tokenize", tokenizeMs);
        Stage("text_encode", textEncodeMs);
        Stage("unet", unetMs);
        Stage("decode", decodeMs);
        Stage("generate", generateMs);
        Stage("image_encode", imageEncodeMs);
    }

    /// <summary>One generator call of <paramref name="size"/> requests.</summary>
    public void BatchGenerated(int size) => _batchSize.Record(size);

    /// <summary>One generator call ran for <paramref name="elapsed"/>, whatever its outcome.</summary>
    public void GeneratorBusy(TimeSpan elapsed) => _generatorBusy.Add(elapsed.TotalSeconds);

    /// <summary>A frame was not delivered (see the counter's description for the reasons).</summary>
    public void FrameDropped(string reason) => _framesDropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A generator call threw.</summary>
    public void GenerationFailed() => _generationFailures.Add(1);

    /// <summary>A generator call was cancelled because nobody wanted its frames any more.</summary>
    public void GenerationCancelled() => _generationsCancelled.Add(1);

    /// <summary>A hub call was refused before it reached the hub.</summary>
    public void HubCallRejected(string reason) => _hubCallsRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => _meter.Dispose();

    /// <summary>The values of the <c>reason</c> label of <c>nitrolive.frames.dropped</c>.</summary>
    public static class DropReasons
    {
        /// <summary>A frame of the same or a newer request was already out (or nobody was left): never published.</summary>
        public const string Stale = "stale";

        /// <summary>A newer frame replaced it in a slow member's one-frame mailbox before the member read it.</summary>
        public const string Superseded = "superseded";
    }

    private void Stage(string stage, double ms)
    {
        if (ms >= 0 && double.IsFinite(ms))
        {
            _stage.Record(ms / 1000.0, new KeyValuePair<string, object?>("stage", stage));
        }
    }

    private static IEnumerable<Measurement<int>> Observe(Lazy<ILiveGaugeSource?> source, Func<LiveGauges, int> pick) =>
        source.Value is { } live ? [new Measurement<int>(pick(live.Read()))] : [];

    private static IEnumerable<Measurement<long>> ObserveLong(Lazy<ILiveGaugeSource?> source, Func<LiveGauges, long> pick) =>
        source.Value is { } live ? [new Measurement<long>(pick(live.Read()))] : [];
}

/// <summary>Counts the live service reports for the gauges of <see cref="NitroMetrics"/>.</summary>
/// <param name="Sessions">Open sessions.</param>
/// <param name="Members">Members over all open sessions.</param>
/// <param name="PendingRequests">Sessions waiting for the generator.</param>
/// <param name="FrameCacheBytes">Bytes the frame cache holds (encoded frames and pixels).</param>
/// <param name="FrameCachePictures">Pictures the frame cache holds.</param>
/// <param name="GeneratorInstances">Generator calls that can run at once.</param>
internal readonly record struct LiveGauges(int Sessions, int Members, int PendingRequests, long FrameCacheBytes = 0, int FrameCachePictures = 0, int GeneratorInstances = 1);

/// <summary>Reads the live service's current counts; registered by whoever owns them.</summary>
internal interface ILiveGaugeSource
{
    LiveGauges Read();
}
