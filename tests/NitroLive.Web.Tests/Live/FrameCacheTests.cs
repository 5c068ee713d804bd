using NitroLive.Core.Pipeline;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Live;

public sealed class FrameCacheTests
{
    private static readonly TimeSpan Timeout = LiveTestHost.Timeout;

    private static FrameKey Key(string prompt, long seed = 1) => FrameKey.Of(prompt, seed, 1, 8, 8, "tiny");

    [Fact]
    public void ItHoldsPicturesUpToItsBytesAndLetsTheLeastRecentlyUsedGoBackToThePool()
    {
        var pool = new RgbBufferPool();
        var cache = new FrameCache(capacityBytes: 3 * 200, pool);
        var rgb = Enumerable.Range(0, 4).Select(i => Enumerable.Repeat((byte)i, 192).ToArray()).ToArray();

        Assert.True(cache.TryAdd(Key("a"), FrameFormat.Jpeg, [1, 2, 3, 4, 5, 6, 7, 8], rgb[0], 8, 8));
        Assert.True(cache.TryAdd(Key("b"), FrameFormat.Jpeg, [1, 2, 3, 4, 5, 6, 7, 8], rgb[1], 8, 8));
        Assert.True(cache.TryAdd(Key("c"), FrameFormat.Jpeg, [1, 2, 3, 4, 5, 6, 7, 8], rgb[2], 8, 8));
        Assert.Equal(600, cache.Bytes);

        // "a" is used again, so "b" is the oldest when "d" needs room.
        Assert.NotNull(cache.TryCopy(Key("a"), null));
        Assert.True(cache.TryAdd(Key("d"), FrameFormat.Jpeg, [1, 2, 3, 4, 5, 6, 7, 8], rgb[3], 8, 8));

        Assert.Null(cache.TryCopy(Key("b"), null));
        Assert.Equal(3, cache.Count);
        Assert.Equal(600, cache.Bytes);
        Assert.Same(rgb[1], pool.Rent(192));
    }

    [Fact]
    public void ACopyLandsInTheGivenBufferAndTheCacheKeepsItsOwnArray()
    {
        var cache = new FrameCache(1024, new RgbBufferPool());
        var pixels = Enumerable.Repeat((byte)7, 192).ToArray();
        byte[] image = [9, 9, 9];
        Assert.True(cache.TryAdd(Key("a"), FrameFormat.Webp, image, pixels, 8, 8));

        var mine = new byte[192];
        var picture = cache.TryCopy(Key("a"), mine)!;
        Assert.Same(mine, picture.Rgb);
        Assert.Equal(pixels, mine);
        Assert.Equal(image, picture.Image);
        Assert.NotSame(image, picture.Image);
        Assert.Equal((FrameFormat.Webp, 8, 8), (picture.Format, picture.Width, picture.Height));

        // A buffer of another length is not written: a new array comes back.
        var other = cache.TryCopy(Key("a"), new byte[5])!;
        Assert.Equal(192, other.Rgb.Length);

        Assert.Null(cache.TryCopy(Key("a", seed: 2), null));
        Assert.Null(cache.TryCopy(Key("a") with { Steps = 2 }, null));
    }

    [Fact]
    public void APictureLargerThanTheCacheOrAlreadyHeldIsNotTakenOver()
    {
        var cache = new FrameCache(100, new RgbBufferPool());
        Assert.False(cache.TryAdd(Key("big"), FrameFormat.Jpeg, [1], new byte[192], 8, 8));
        Assert.True(cache.TryAdd(Key("a"), FrameFormat.Jpeg, [1], new byte[48], 4, 4));
        Assert.False(cache.TryAdd(Key("a"), FrameFormat.Jpeg, [1], new byte[48], 4, 4));
        Assert.Equal(1, cache.Count);
        Assert.False(new FrameCache(0, new RgbBufferPool()).TryAdd(Key("a"), FrameFormat.Jpeg, [1], new byte[48], 4, 4));
    }

    [Fact]
    public async Task ABackspaceToAPromptTypedAMomentAgoIsAnsweredFromTheCacheWithItsFullQualityPixels()
    {
        var generator = new FakeImageGenerator();
        await using var host = await LiveTestHost.StartAsync(generator);
        await using var owner = host.NewSession("a red c");
        var first = (await owner.ReadUntilRequestAsync(1, Timeout))[^1];
        var typo = owner.SetPrompt("a red cx");
        await owner.ReadUntilRequestAsync(typo.RequestId, Timeout);

        var back = owner.SetPrompt("a red c");
        var frame = (await owner.ReadUntilRequestAsync(back.RequestId, Timeout))[^1];

        Assert.True(frame.Timings.Reused);
        Assert.Equal(first.Image, frame.Image);
        Assert.Equal(["a red c", "a red cx"], generator.GeneratedRequests.Select(r => r.Prompt).ToArray());
        using var cts = new CancellationTokenSource(Timeout);
        var png = await owner.EncodePngAsync(frame.Sequence, cts.Token);
        using var image = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(png);
        var (r, g, b) = FakeImageGenerator.ColorOf("a red c", frame.Request.Seed);
        Assert.Equal(new SixLabors.ImageSharp.PixelFormats.Rgb24(r, g, b), image[3, 3]);

        // Another session with the same seed gets the same picture too (a kiosk playlist coming round).
        await using var other = host.Live.CreateSession(new CreateSessionOptions(Initial: new LiveRequestPatch("a red cx", Seed: frame.Request.Seed)));
        Assert.True((await other.ReadUntilRequestAsync(1, Timeout))[^1].Timings.Reused);
        Assert.Equal(2, generator.GeneratedRequests.Count());
    }

    [Fact]
    public async Task WithoutTheCacheOnlyThePictureOnScreenIsReused()
    {
        var generator = new FakeImageGenerator { KeyRule = p => p.Trim() };
        await using var host = await LiveTestHost.StartAsync(generator, new() { ["NitroLive:Live:FrameCacheMegabytes"] = "0" });
        await using var owner = host.NewSession("a red c");
        await owner.ReadUntilRequestAsync(1, Timeout);
        var typo = owner.SetPrompt("a red cx");
        await owner.ReadUntilRequestAsync(typo.RequestId, Timeout);

        var back = owner.SetPrompt("a red c");
        Assert.False((await owner.ReadUntilRequestAsync(back.RequestId, Timeout))[^1].Timings.Reused);
        var spaced = owner.SetPrompt("a red c ");
        Assert.True((await owner.ReadUntilRequestAsync(spaced.RequestId, Timeout))[^1].Timings.Reused);
        Assert.Equal(["a red c", "a red cx", "a red c"], generator.GeneratedRequests.Select(r => r.Prompt).ToArray());
    }
}
