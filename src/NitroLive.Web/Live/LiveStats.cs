using System.Diagnostics.Metrics;
using NitroLive.Web.Telemetry;

namespace NitroLive.Web.Live;

/// <summary>
/// Counters of the live service, exported as the "NitroLive.Live" meter and read by tests and health. Every event is
/// also recorded in <see cref="NitroMetrics"/> (the latency histograms and labelled counters Prometheus scrapes), so the
/// live service reports each event at one call site.
/// </summary>
internal sealed class LiveStats : IDisposable
{
    public const string MeterName = "NitroLive.Live";

    private readonly Meter _meter;
    private readonly NitroMetrics _metrics;
    private long _requestsAccepted;
    private long _requestsGenerated;
    private long _framesPublished;
    private long _framesStale;
    private long _framesReused;
    private long _batches;
    private long _generationFailures;
    private long _generationsCancelled;

    public LiveStats(IMeterFactory meterFactory, NitroMetrics metrics)
    {
        _metrics = metrics;
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableCounter("nitrolive.live.requests_accepted", () => RequestsAccepted, description: "Request changes accepted from members.");
        _meter.CreateObservableCounter("nitrolive.live.requests_generated", () => RequestsGenerated, description: "Requests the generator ran (superseded ones never are).");
        _meter.CreateObservableCounter("nitrolive.live.frames_published", () => FramesPublished, description: "Frames published to sessions.");
        _meter.CreateObservableCounter("nitrolive.live.frames_reused", () => FramesReused, description: "Frames that reused the picture on screen for a prompt that reads alike (also in frames_published).");
        _meter.CreateObservableCounter("nitrolive.live.frames_stale", () => FramesStale, description: "Frames dropped because a newer one was already out.");
        _meter.CreateObservableCounter("nitrolive.live.batches", () => Batches, description: "Generator calls.");
        _meter.CreateObservableCounter("nitrolive.live.generation_failures", () => GenerationFailures, description: "Generator calls that failed.");
        _meter.CreateObservableCounter("nitrolive.live.generations_cancelled", () => GenerationsCancelled, description: "Generator calls cancelled because nobody wanted their frames.");
    }

    public long RequestsAccepted => Interlocked.Read(ref _requestsAccepted);

    public long RequestsGenerated => Interlocked.Read(ref _requestsGenerated);

    public long FramesPublished => Interlocked.Read(ref _framesPublished);

    public long FramesStale => Interlocked.Read(ref _framesStale);

    public long FramesReused => Interlocked.Read(ref _framesReused);

    public long Batches => Interlocked.Read(ref _batches);

    public long GenerationFailures => Interlocked.Read(ref _generationFailures);

    public long GenerationsCancelled => Interlocked.Read(ref _generationsCancelled);

    public void RequestAccepted()
    {
        Interlocked.Increment(ref _requestsAccepted);
        _metrics.RequestAccepted();
    }

    public void BatchGenerated(int size)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _requestsGenerated, size);
        _metrics.BatchGenerated(size);
    }

    /// <summary>A frame went out to a session's members, with the timings it carries.</summary>
    public void FramePublished(FrameTimings timings)
    {
        Interlocked.Increment(ref _framesPublished);
        _metrics.FrameDelivered(timings.TotalMs);
        _metrics.StagesTimed(timings.QueueWaitMs, timings.TokenizeMs, timings.TextEncodeMs, timings.UnetMs, timings.DecodeMs, timings.GenerateMs, timings.ImageEncodeMs);
    }

    /// <summary>A frame went out that reused the picture on screen (no generation, so no stage timings).</summary>
    public void FrameReused(FrameTimings timings)
    {
        Interlocked.Increment(ref _framesPublished);
        Interlocked.Increment(ref _framesReused);
        _metrics.FrameReused(timings.TotalMs);
    }

    /// <summary>A generated frame was not published: a frame of the same or a newer request was already out, or nobody is left.</summary>
    public void FrameStale()
    {
        Interlocked.Increment(ref _framesStale);
        _metrics.FrameDropped(NitroMetrics.DropReasons.Stale);
    }

    /// <summary>A member's unread frame was replaced by a newer one (the member reads slower than frames come).</summary>
    public void FrameSuperseded() => _metrics.FrameDropped(NitroMetrics.DropReasons.Superseded);

    /// <summary>A generator call ended (generated, failed or cancelled) after <paramref name="elapsed"/>.</summary>
    public void GeneratorBusy(TimeSpan elapsed) => _metrics.GeneratorBusy(elapsed);

    public void GenerationFailed()
    {
        Interlocked.Increment(ref _generationFailures);
        _metrics.GenerationFailed();
    }

    public void GenerationCancelled()
    {
        Interlocked.Increment(ref _generationsCancelled);
        _metrics.GenerationCancelled();
    }

    public void Dispose() => _meter.Dispose();
}
