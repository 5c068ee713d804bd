using System.Diagnostics.Metrics;

namespace NitroLive.Web.Live;

/// <summary>Counters of the live service, exported as the "NitroLive.Live" meter and read by tests and health.</summary>
internal sealed class LiveStats : IDisposable
{
    public const string MeterName = "NitroLive.Live";

    private readonly Meter _meter;
    private long _requestsAccepted;
    private long _requestsGenerated;
    private long _framesPublished;
    private long _framesStale;
    private long _batches;
    private long _generationFailures;
    private long _generationsCancelled;

    public LiveStats(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableCounter("nitrolive.live.requests_accepted", () => RequestsAccepted, description: "Request changes accepted from members.");
        _meter.CreateObservableCounter("nitrolive.live.requests_generated", () => RequestsGenerated, description: "Requests the generator ran (superseded ones never are).");
        _meter.CreateObservableCounter("nitrolive.live.frames_published", () => FramesPublished, description: "Frames published to sessions.");
        _meter.CreateObservableCounter("nitrolive.live.frames_stale", () => FramesStale, description: "Frames dropped because a newer one was already out.");
        _meter.CreateObservableCounter("nitrolive.live.batches", () => Batches, description: "Generator calls.");
        _meter.CreateObservableCounter("nitrolive.live.generation_failures", () => GenerationFailures, description: "Generator calls that failed.");
        _meter.CreateObservableCounter("nitrolive.live.generations_cancelled", () => GenerationsCancelled, description: "Generator calls cancelled because nobody wanted their frames.");
    }

    public long RequestsAccepted => Interlocked.Read(ref _requestsAccepted);

    public long RequestsGenerated => Interlocked.Read(ref _requestsGenerated);

    public long FramesPublished => Interlocked.Read(ref _framesPublished);

    public long FramesStale => Interlocked.Read(ref _framesStale);

    public long Batches => Interlocked.Read(ref _batches);

    public long GenerationFailures => Interlocked.Read(ref _generationFailures);

    public long GenerationsCancelled => Interlocked.Read(ref _generationsCancelled);

    public void RequestAccepted() => Interlocked.Increment(ref _requestsAccepted);

    public void BatchGenerated(int size)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _requestsGenerated, size);
    }

    public void FramePublished() => Interlocked.Increment(ref _framesPublished);

    public void FrameStale() => Interlocked.Increment(ref _framesStale);

    public void GenerationFailed() => Interlocked.Increment(ref _generationFailures);

    public void GenerationCancelled() => Interlocked.Increment(ref _generationsCancelled);

    public void Dispose() => _meter.Dispose();
}
