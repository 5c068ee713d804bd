using NitroLive.Core.Imaging.Jpeg;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace NitroLive.Core.Tests.Imaging;

public sealed class BaselineJpegEncoderTests
{
    /// <summary>Gradients, two flat shapes with hard edges and mild per-pixel noise: how a generated picture codes.</summary>
    private static byte[] Picture(int width, int height)
    {
        var rgb = new byte[width * height * 3];
        var random = new Random(7);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                double fx = (double)x / width, fy = (double)y / height;
                double r = 40 + (60 * fy), g = 60 + (80 * fx * fy), b = 140 + (90 * (1 - fy));
                if (Math.Pow(x - (width * 0.35), 2) + Math.Pow(y - (height * 0.45), 2) < Math.Pow(Math.Min(width, height) * 0.22, 2))
                {
                    (r, g, b) = (210 - (40 * fy), 40 + (20 * fx), 35);
                }
                else if (x > width * 0.6 && y > height * 0.55)
                {
                    (r, g, b) = (230, 200, 40);
                }

                var noise = random.Next(-6, 7);
                var i = ((y * width) + x) * 3;
                rgb[i] = (byte)Math.Clamp(r + noise, 0, 255);
                rgb[i + 1] = (byte)Math.Clamp(g + noise, 0, 255);
                rgb[i + 2] = (byte)Math.Clamp(b + noise, 0, 255);
            }
        }

        return rgb;
    }

    private static byte[] Decode(byte[] jpeg, int width, int height)
    {
        using var image = Image.Load<Rgb24>(jpeg);
        Assert.Equal((width, height), (image.Width, image.Height));
        var rgb = new byte[width * height * 3];
        image.CopyPixelDataTo(rgb);
        return rgb;
    }

    private static double Psnr(byte[] expected, byte[] actual)
    {
        var squared = expected.Zip(actual, (a, b) => (double)(a - b) * (a - b)).Sum();
        return 10 * Math.Log10(255.0 * 255.0 / (squared / expected.Length));
    }

    [Theory]
    [InlineData(128, 128)]
    [InlineData(130, 67)]
    [InlineData(17, 33)]
    [InlineData(1, 1)]
    [InlineData(1024, 576)]
    public void AFrameDecodesToItsSizeAndPixelsAsWellAsImageSharpsOwnEncoderAtTheSameQuality(int width, int height)
    {
        var rgb = Picture(width, height);

        var ours = new BaselineJpegEncoder(85).Encode(rgb, width, height);
        using var reference = new MemoryStream();
        using (var image = Image.LoadPixelData<Rgb24>(rgb, width, height))
        {
            image.Save(reference, new JpegEncoder { Quality = 85, ColorType = JpegColorType.YCbCrRatio420 });
        }

        // The same tables and subsampling: within a tenth of a decibel, and about the same size.
        var ourPsnr = Psnr(rgb, Decode(ours, width, height));
        var theirPsnr = Psnr(rgb, Decode(reference.ToArray(), width, height));
        Assert.True(ourPsnr >= theirPsnr - 0.1, $"{ourPsnr:F2} dB against ImageSharp's {theirPsnr:F2}");
        Assert.InRange(ours.Length, reference.Length * 0.9, reference.Length * 1.1);
        Assert.Equal([0xFF, 0xD8], ours[..2]);
        Assert.Equal([0xFF, 0xD9], ours[^2..]);
    }

    [Theory]
    [InlineData(1, "noise")]
    [InlineData(1, "checkerboard")]
    [InlineData(100, "noise")]
    [InlineData(100, "checkerboard")]
    [InlineData(100, "squares")]
    public void ExtremeFramesAtExtremeQualitiesCodeAsImageSharpsEncoderDoes(int quality, string pattern)
    {
        // Noise and one-pixel checkerboards at quality 100 push coefficients and DC differences to the largest sizes
        // baseline Huffman coding has, and every 0xFF byte of the stream needs stuffing; stripes on top.
        const int size = 384;
        var random = new Random(5);
        var rgb = new byte[size * size * 3];
        for (var i = 0; i < size * size; i++)
        {
            var (x, y) = (i % size, i / size);
            var value = pattern switch
            {
                "noise" => (byte)random.Next(256),
                "checkerboard" => (byte)((x + y) % 2 * 255),
                _ => (byte)(((x / 8) + (y / 8)) % 2 * 255),
            };
            rgb[i * 3] = value;
            rgb[(i * 3) + 1] = (byte)(255 - value);
            rgb[(i * 3) + 2] = value;
        }

        var encoder = new BaselineJpegEncoder(quality, maxParallelism: 2);
        Assert.Equal(2, encoder.StripesFor(size, size));
        var ours = encoder.Encode(rgb, size, size);
        using var reference = new MemoryStream();
        using (var image = Image.LoadPixelData<Rgb24>(rgb, size, size))
        {
            image.Save(reference, new JpegEncoder { Quality = quality, ColorType = JpegColorType.YCbCrRatio420 });
        }

        var ourPsnr = Psnr(rgb, Decode(ours, size, size));
        var theirPsnr = Psnr(rgb, Decode(reference.ToArray(), size, size));
        Assert.True(Math.Abs(ourPsnr - theirPsnr) <= 0.1, $"{ourPsnr:F2} dB against ImageSharp's {theirPsnr:F2}");
        Assert.InRange(ours.Length, reference.Length * 0.95, reference.Length * 1.05);
    }

    [Fact]
    public void AFlatFrameComesBackFlatInItsColour()
    {
        var rgb = Enumerable.Repeat(new byte[] { 200, 40, 120 }, 48 * 40).SelectMany(p => p).ToArray();

        var decoded = Decode(new BaselineJpegEncoder(90).Encode(rgb, 48, 40), 48, 40);

        Assert.All(decoded.Chunk(3), p => Assert.True(Math.Abs(p[0] - 200) <= 2 && Math.Abs(p[1] - 40) <= 2 && Math.Abs(p[2] - 120) <= 2, $"{p[0]},{p[1]},{p[2]}"));
    }

    [Fact]
    public void StripesCodedInParallelDecodeToExactlyThePixelsOfOnePass()
    {
        const int width = 1024, height = 1024;
        var rgb = Picture(width, height);

        var onePass = new BaselineJpegEncoder(85, maxParallelism: 1).Encode(rgb, width, height);
        var striped = new BaselineJpegEncoder(85, maxParallelism: 4).Encode(rgb, width, height);

        // Four stripes of 16 macroblock rows: a restart interval of 64 x 16 macroblocks and three restart markers.
        Assert.Equal(-1, IndexOfMarker(onePass, 0xDD));
        var restart = IndexOfMarker(striped, 0xDD);
        Assert.Equal(64 * 16, (striped[restart + 4] << 8) | striped[restart + 5]);
        Assert.Equal([0xD0, 0xD1, 0xD2], Markers(striped).Where(m => m is >= 0xD0 and <= 0xD7).ToArray());
        Assert.Equal(Decode(onePass, width, height), Decode(striped, width, height));
    }

    [Fact]
    public void ASmallFrameStaysInOnePassWhateverTheParallelism()
    {
        var rgb = Picture(128, 128);

        Assert.Equal(new BaselineJpegEncoder(85, 1).Encode(rgb, 128, 128), new BaselineJpegEncoder(85, 16).Encode(rgb, 128, 128));
    }

    [Fact]
    public void LowerQualityGivesASmallerFile()
    {
        var rgb = Picture(256, 256);

        Assert.True(new BaselineJpegEncoder(40).Encode(rgb, 256, 256).Length < new BaselineJpegEncoder(95).Encode(rgb, 256, 256).Length);
    }

    [Fact]
    public void BadArgumentsAreRefusedWithTheReason()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BaselineJpegEncoder(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BaselineJpegEncoder(101));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BaselineJpegEncoder(85, 0));
        var encoder = new BaselineJpegEncoder();
        var error = Assert.Throws<ArgumentException>(() => encoder.Encode(new byte[10], 2, 2));
        Assert.Contains("needs 12 bytes; got 10", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Encode([], 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Encode(new byte[3 * 70_000], 70_000, 1));
    }

    /// <summary>The marker codes of the file, entropy-coded data skipped (a 0xFF there is followed by 0x00).</summary>
    private static List<byte> Markers(byte[] jpeg)
    {
        var markers = new List<byte>();
        for (var i = 0; i < jpeg.Length - 1; i++)
        {
            if (jpeg[i] == 0xFF && jpeg[i + 1] is not 0x00 and not 0xFF)
            {
                markers.Add(jpeg[i + 1]);
            }
        }

        return markers;
    }

    private static int IndexOfMarker(byte[] jpeg, byte code)
    {
        for (var i = 0; i < jpeg.Length - 1; i++)
        {
            if (jpeg[i] == 0xFF && jpeg[i + 1] == code)
            {
                return i;
            }
        }

        return -1;
    }
}
