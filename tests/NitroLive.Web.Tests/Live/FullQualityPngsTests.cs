using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Live;

/// <summary>The download encoder: a bounded number of PNG encodes at once, and a frame encoded once.</summary>
public sealed class FullQualityPngsTests
{
    private static readonly TimeSpan Timeout = LiveTestHost.Timeout;

    [Fact]
    public async Task NoMoreEncodesRunAtOnceThanTheLimit()
    {
        using var firstEncoding = new ManualResetEventSlim();
        using var releaseFirst = new ManualResetEventSlim();
        var running = 0;
        var mostAtOnce = 0;
        using var pngs = new FullQualityPngs(concurrentEncodes: 1, (rgb, width, height) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref mostAtOnce, now);
            if (rgb[0] == 1)
            {
                firstEncoding.Set();
                Assert.True(releaseFirst.Wait(Timeout));
            }

            Interlocked.Decrement(ref running);
            return [0x89, 0x50, 0x4E, 0x47, rgb[0]];
        });

        var first = pngs.GetAsync(Frame("s", 1), () => Pixels(1), CancellationToken.None);
        Assert.True(firstEncoding.Wait(Timeout));
        var second = pngs.GetAsync(Frame("t", 1), () => Pixels(2), CancellationToken.None);
        await Task.Delay(200);
        Assert.False(second.IsCompleted); // waiting for the slot the first encode holds
        releaseFirst.Set();

        Assert.Equal(1, (await first.WaitAsync(Timeout))[4]);
        Assert.Equal(2, (await second.WaitAsync(Timeout))[4]);
        Assert.Equal(1, mostAtOnce);
        Assert.Equal(2, pngs.Encoded);
    }

    [Fact]
    public async Task AFrameAlreadyEncodedIsNotEncodedAgainAndAWaitingCallerCanCancel()
    {
        using var pngs = new FullQualityPngs(concurrentEncodes: 1);
        var frame = Frame("s", 7);
        var copies = 0;
        byte[] Copy()
        {
            copies++;
            return Pixels(0);
        }

        var png = await pngs.GetAsync(frame, Copy, CancellationToken.None).WaitAsync(Timeout);
        var again = await pngs.GetAsync(frame, Copy, CancellationToken.None).WaitAsync(Timeout);

        Assert.Same(png, again);
        Assert.Equal(1, copies);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], png[..4]);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pngs.GetAsync(Frame("s", 8), Copy, cancelled.Token).WaitAsync(Timeout));
        Assert.Equal(1, pngs.Encoded);
    }

    // Kiosk ids are public and the per-address limit does not bound how many addresses ask at once: every frame that
    // waits holds a copy of its pixels, so callers of one frame share its encode and frames past the bound are refused.
    [Fact]
    public async Task CallersOfOneFrameShareItsEncodeAndFramesPastTheBoundAreRefused()
    {
        using var release = new ManualResetEventSlim();
        var copies = 0;
        using var pngs = new FullQualityPngs(
            concurrentEncodes: 1,
            (rgb, width, height) =>
            {
                Assert.True(release.Wait(Timeout));
                return [0x89, rgb[0]];
            },
            maxPending: 2);
        Func<byte[]> Copy(byte first) => () =>
        {
            Interlocked.Increment(ref copies);
            return Pixels(first);
        };

        var sameFrame = Enumerable.Range(0, 50).Select(_ => pngs.GetAsync(Frame("s", 1), Copy(1), CancellationToken.None)).ToArray();
        using var leaving = new CancellationTokenSource();
        var leaves = pngs.GetAsync(Frame("s", 2), Copy(2), leaving.Token);
        var stays = pngs.GetAsync(Frame("s", 2), Copy(2), CancellationToken.None);
        var refused = await Assert.ThrowsAsync<LiveException>(() => pngs.GetAsync(Frame("t", 1), Copy(3), CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(LiveErrorCode.Busy, refused.Code);
        Assert.Equal(2, copies);

        // A caller who stops waiting does not stop the encode another caller waits for.
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaves.WaitAsync(Timeout));
        release.Set();

        var pictures = await Task.WhenAll(sameFrame).WaitAsync(Timeout);
        Assert.All(pictures, png => Assert.Same(pictures[0], png));
        Assert.Equal([0x89, 2], await stays.WaitAsync(Timeout));
        Assert.Equal(2, pngs.Encoded);

        // The bound counts frames waiting, not frames ever asked for.
        Assert.Equal([0x89, 3], await pngs.GetAsync(Frame("t", 1), Copy(3), CancellationToken.None).WaitAsync(Timeout));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private static byte[] Pixels(byte first)
    {
        var rgb = new byte[16 * 16 * 3];
        rgb[0] = first;
        return rgb;
    }

    private static LiveFrame Frame(string sessionId, long sequence) => new(
        sessionId, sequence, sequence, new LiveRequest("a red circle", 1, SeedMode.Fixed, 1, 16, 16, "tiny"), FrameFormat.Jpeg, [],
        16, 16, new FrameTimings(0, 0, 0, 0, 0, 0, 0, 0, 1, false, "CPU"), DateTimeOffset.UnixEpoch);
}
