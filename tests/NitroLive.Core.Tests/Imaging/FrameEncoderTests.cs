using NitroLive.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace NitroLive.Core.Tests.Imaging;

public sealed class FrameEncoderTests
{
    private const int Width = 96;
    private const int Height = 64;

    // Smooth colour gradients with a few flat blocks: what lossy codecs keep well.
    private static byte[] TestFrame()
    {
        var rgb = new byte[Width * Height * 3];
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var i = ((y * Width) + x) * 3;
                var block = x < Width / 2;
                rgb[i] = (byte)(block ? 220 : x * 255 / (Width - 1));
                rgb[i + 1] = (byte)(y * 255 / (Height - 1));
                rgb[i + 2] = (byte)(block ? 30 : 128);
            }
        }

        return rgb;
    }

    [Theory]
    [InlineData(FrameFormat.Jpeg, "image/jpeg", 6.0)]
    [InlineData(FrameFormat.WebP, "image/webp", 6.0)]
    [InlineData(FrameFormat.Png, "image/png", 0.0)]
    public void EncodedFramesDecodeToTheSameSizeAndColours(FrameFormat format, string contentType, double maxMeanError)
    {
        var rgb = TestFrame();
        var encoder = new FrameEncoder(format);

        var bytes = encoder.Encode(rgb, Width, Height);

        Assert.Equal(contentType, encoder.ContentType);
        using var decoded = Image.Load<Rgb24>(bytes, out var detected);
        Assert.Equal(contentType, detected.DefaultMimeType);
        Assert.Equal(Width, decoded.Width);
        Assert.Equal(Height, decoded.Height);

        var roundTrip = new byte[rgb.Length];
        decoded.CopyPixelDataTo(roundTrip);
        var meanError = rgb.Zip(roundTrip, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(meanError <= maxMeanError, $"mean abs error {meanError:F2} > {maxMeanError}");
        if (format == FrameFormat.Png)
        {
            Assert.Equal(rgb, roundTrip);
        }
        else
        {
            // The flat orange block must still be orange, not merely "close on average".
            var centre = (((Height / 2) * Width) + (Width / 4)) * 3;
            Assert.InRange(roundTrip[centre], 205, 235);
            Assert.InRange(roundTrip[centre + 2], 15, 45);
        }
    }

    [Theory]
    [InlineData(128, 4, false)]
    [InlineData(1024, 4, true)]
    [InlineData(1024, 1, false)]
    public void ALargeJpegFrameIsCodedInParallelStripesAndASmallOneInOnePass(int size, int parallelism, bool striped)
    {
        var rgb = new byte[size * size * 3];
        for (var i = 0; i < rgb.Length; i++)
        {
            rgb[i] = (byte)((i / 3 % size) + (i % 3 * 50));
        }

        var jpeg = new FrameEncoder(FrameFormat.Jpeg, 85, parallelism).Encode(rgb, size, size);

        // Stripes are restart intervals: a DRI segment in the header says how long.
        var hasRestartInterval = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xDD]) >= 0;
        Assert.Equal(striped, hasRestartInterval);
        using var decoded = Image.Load<Rgb24>(jpeg);
        Assert.Equal((size, size), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void LowerJpegQualityGivesSmallerFiles()
    {
        var rgb = TestFrame();
        var small = new FrameEncoder(FrameFormat.Jpeg, 20).Encode(rgb, Width, Height);
        var large = new FrameEncoder(FrameFormat.Jpeg, 95).Encode(rgb, Width, Height);
        Assert.True(small.Length < large.Length, $"{small.Length} >= {large.Length}");
    }

    [Theory]
    [InlineData(FrameFormat.Jpeg)]
    [InlineData(FrameFormat.WebP)]
    [InlineData(FrameFormat.Png)]
    public async Task OneEncoderServesConcurrentCallers(FrameFormat format)
    {
        var encoder = new FrameEncoder(format);
        var frames = Enumerable.Range(0, 4).Select(seed =>
        {
            var rgb = TestFrame();
            for (var i = seed; i < rgb.Length; i += 97)
            {
                rgb[i] ^= (byte)(seed * 40);
            }

            return rgb;
        }).ToArray();
        var expected = frames.Select(f => encoder.Encode(f, Width, Height)).ToArray();

        var tasks = Enumerable.Range(0, 16).Select(n => Task.Run(() => (n, encoder.Encode(frames[n % 4], Width, Height)))).ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));

        foreach (var (n, bytes) in results)
        {
            Assert.Equal(expected[n % 4], bytes);
        }
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameEncoder(FrameFormat.Jpeg, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameEncoder(FrameFormat.Jpeg, 101));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameEncoder((FrameFormat)42));
        var encoder = new FrameEncoder(FrameFormat.Png);
        Assert.Throws<ArgumentException>(() => encoder.Encode(new byte[10], 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Encode([], 0, 0));
    }

    [Fact]
    public void ConvertedVaeOutputEncodesLosslesslyAsPng()
    {
        const int W = 20;
        const int H = 12;
        var chw = new float[3 * W * H];
        for (var i = 0; i < chw.Length; i++)
        {
            chw[i] = (float)Math.Sin(i * 0.37);
        }

        var rgb = new byte[chw.Length];
        PixelConversion.ToRgb24(chw, W, H, rgb);
        var png = new FrameEncoder(FrameFormat.Png).Encode(rgb, W, H);

        using var decoded = Image.Load<Rgb24>(png);
        var pixels = new byte[rgb.Length];
        decoded.CopyPixelDataTo(pixels);
        Assert.Equal(rgb, pixels);
    }
}
