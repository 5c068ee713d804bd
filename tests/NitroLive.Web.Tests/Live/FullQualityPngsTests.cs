using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Live;

/// <summary>The download encoder: a bounded number of PNG encodes at once, and a frame encoded once.</summary>
public sealed class FullQualityPngsTests
{
    private static readonly TimeSpan Timeout = LiveTestHost.Timeout;

    [Fact]
    public async Task ADownloadWaitsForAFreeEncodeBeforeItTakesThePixels()
    {
        using var pngs = new FullQualityPngs(concurrentEncodes: 1);
        using var firstTaken = new ManualResetEventSlim();
        using var releaseFirst = new ManualResetEventSlim();
        var secondTaken = 0;
        var (a, b) = (Frame("s", 1), Frame("t", 1));

        var first = Task.Run(() => pngs.GetAsync(a, () =>
        {
            firstTaken.Set();
            Assert.True(releaseFirst.Wait(Timeout));
            return (a, Pixels());
        }, CancellationToken.None));
        Assert.True(firstTaken.Wait(Timeout));
        var second = pngs.GetAsync(b, () =>
        {
            Interlocked.Increment(ref secondTaken);
            return (b, Pixels());
        }, CancellationToken.None);

        await Task.Delay(200);
        Assert.Equal(0, Volatile.Read(ref secondTaken)); // no copy of its pixels while it waits
        releaseFirst.Set();
        await first.WaitAsync(Timeout);
        await second.WaitAsync(Timeout);
        Assert.Equal(1, Volatile.Read(ref secondTaken));
        Assert.Equal(2, pngs.Encoded);
    }

    [Fact]
    public async Task AFrameAlreadyEncodedIsNotEncodedAgainAndAWaitingCallerCanCancel()
    {
        using var pngs = new FullQualityPngs(concurrentEncodes: 1);
        var frame = Frame("s", 7);
        var takes = 0;
        (LiveFrame, byte[]) Take()
        {
            takes++;
            return (frame, Pixels());
        }

        var (_, png) = await pngs.GetAsync(frame, Take, CancellationToken.None).WaitAsync(Timeout);
        var (_, again) = await pngs.GetAsync(frame, Take, CancellationToken.None).WaitAsync(Timeout);

        Assert.Same(png, again);
        Assert.Equal(1, takes);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], png[..4]);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pngs.GetAsync(Frame("s", 8), Take, cancelled.Token).WaitAsync(Timeout));
        Assert.Equal(1, takes);
    }

    private static byte[] Pixels() => new byte[16 * 16 * 3];

    private static LiveFrame Frame(string sessionId, long sequence) => new(
        sessionId, sequence, sequence, new LiveRequest("a red circle", 1, SeedMode.Fixed, 1, 16, 16, "tiny"), FrameFormat.Jpeg, [],
        16, 16, new FrameTimings(0, 0, 0, 0, 0, 0, 0, 0, 1, false, "CPU"), DateTimeOffset.UnixEpoch);
}
