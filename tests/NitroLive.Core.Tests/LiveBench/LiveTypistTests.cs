using System.Diagnostics;
using NitroLive.Cli.LiveBench;
using NitroLive.Web.Hubs;

namespace NitroLive.Core.Tests.LiveBench;

/// <summary>What one simulated typist of <c>bench live</c> counts, without a server (frames handed in directly).</summary>
public sealed class LiveTypistTests
{
    private static readonly LiveBenchSettings Settings = new(
        new Uri("http://127.0.0.1:5000/"), Clients: 1, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), CadenceMs: 80, JitterPercent: 50,
        PauseMs: 300, TimeSpan.FromSeconds(5), ["latest"], "messagepack", AllowRemote: false);

    [Fact]
    public async Task TheWarmUpsFramesAreForgottenButAStaleFrameAfterItIsStillCaught()
    {
        await using var typist = new LiveTypist(0, Settings);
        typist.Observe(Frame(sequence: 1, requestId: 1, generateMs: 50), Stopwatch.GetTimestamp(), 0);
        typist.Observe(Frame(sequence: 2, requestId: 3, generateMs: 60), Stopwatch.GetTimestamp(), 0);
        Assert.Equal(2, typist.Frames);

        typist.ForgetMeasurements();

        Assert.Equal(0, typist.Frames);
        Assert.Empty(typist.PipelineMs);
        Assert.Empty(typist.QueueWaitMs);
        Assert.Empty(typist.TransportMs);

        typist.Observe(Frame(sequence: 2, requestId: 2, generateMs: 7), Stopwatch.GetTimestamp(), 0);

        Assert.Equal(1, typist.Frames);
        Assert.Equal(1, typist.StaleFrames);
        Assert.Equal([7.0], typist.PipelineMs);
    }

    [Fact]
    public async Task AFrameThatReusedThePictureIsCountedButAddsNoPipelineTime()
    {
        await using var typist = new LiveTypist(0, Settings);
        typist.Observe(Frame(sequence: 1, requestId: 1, generateMs: 8), Stopwatch.GetTimestamp(), 0);
        typist.Observe(Frame(sequence: 2, requestId: 2, generateMs: 0, reused: true), Stopwatch.GetTimestamp(), 0);

        Assert.Equal(2, typist.Frames);
        Assert.Equal(1, typist.ReusedFrames);
        Assert.Equal(0, typist.StaleFrames);
        Assert.Equal([8.0], typist.PipelineMs);
        Assert.Equal([1.0], typist.QueueWaitMs);
        Assert.Equal(2, typist.TransportMs.Count);
    }

    [Fact]
    public async Task ARequestIsTimedToItsFirstFrameOnlyNotAlsoToTheFullPictureAfterItsDraft()
    {
        await using var typist = new LiveTypist(0, Settings);
        var sent = Stopwatch.GetTimestamp();
        typist.Accepted(requestId: 1, sent);

        typist.Observe(Frame(sequence: 1, requestId: 1, generateMs: 4, draft: true), sent + Stopwatch.Frequency / 100, 0);
        typist.Observe(Frame(sequence: 2, requestId: 1, generateMs: 9), sent + Stopwatch.Frequency / 2, 0);

        Assert.Equal(2, typist.Frames);
        var requestToFrame = Assert.Single(typist.RequestToFrameMs);
        Assert.InRange(requestToFrame, 9.9, 10.1); // the draft's 10 ms, not the full picture's 500
        Assert.Single(typist.LivePathMs);
    }

    [Fact]
    public async Task AFrameThatBeatsItsRequestsAnswerIsTimedOnceTheAnswerComes()
    {
        await using var typist = new LiveTypist(0, Settings);
        var sent = Stopwatch.GetTimestamp();
        typist.Observe(Frame(sequence: 1, requestId: 5, generateMs: 4), sent + Stopwatch.Frequency / 100, 0);
        Assert.Empty(typist.RequestToFrameMs);

        typist.Accepted(requestId: 5, sent);

        Assert.InRange(Assert.Single(typist.RequestToFrameMs), 9.9, 10.1);
    }

    private static FrameMessage Frame(long sequence, long requestId, double generateMs, bool reused = false, bool draft = false) => new()
    {
        Draft = draft,
        SessionId = "s",
        Sequence = sequence,
        RequestId = requestId,
        Request = new RequestMessage { Prompt = "a red circle" },
        Timings = reused
            ? new TimingsMessage { Reused = true }
            : new TimingsMessage { GenerateMs = generateMs, QueueWaitMs = 1, BatchSize = 1 },
    };
}
