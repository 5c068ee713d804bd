using NitroLive.Web.Live;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace NitroLive.Web.Tests.Live;

/// <summary>The live options' format and quality reach the engine's encoder, and downloads are lossless PNG.</summary>
public sealed class FrameEncoderTests
{
    private const int Width = 32;
    private const int Height = 16;

    [Fact]
    public void JpegIsTheDefaultAndItsQualityComesFromTheOptions()
    {
        var rgb = Noise();

        var low = new FrameEncoder(new LiveOptions { JpegQuality = 20 });
        var high = new FrameEncoder(new LiveOptions { JpegQuality = 95 });

        Assert.Equal(FrameFormat.Jpeg, low.Format);
        var small = low.Encode(rgb, Width, Height);
        Assert.Equal([0xFF, 0xD8], small[..2]);
        Assert.True(small.Length < high.Encode(rgb, Width, Height).Length, "quality 20 should be smaller than 95");
    }

    [Fact]
    public void WebpFramesAreWebpWithTheirOwnQuality()
    {
        var rgb = Noise();

        var low = new FrameEncoder(new LiveOptions { FrameFormat = FrameFormat.Webp, WebpQuality = 10 });
        var high = new FrameEncoder(new LiveOptions { FrameFormat = FrameFormat.Webp, WebpQuality = 95 });

        Assert.Equal(FrameFormat.Webp, low.Format);
        var small = low.Encode(rgb, Width, Height);
        Assert.Equal("RIFF"u8.ToArray(), small[..4]);
        Assert.Equal("WEBP"u8.ToArray(), small[8..12]);
        Assert.True(small.Length < high.Encode(rgb, Width, Height).Length, "quality 10 should be smaller than 95");
    }

    [Fact]
    public void ADownloadIsAPngOfExactlyThePixels()
    {
        var rgb = Noise();

        var png = FrameEncoder.EncodePng(rgb, Width, Height);

        using var image = Image.Load<Rgb24>(png);
        Assert.Equal((Width, Height), (image.Width, image.Height));
        var decoded = new byte[Width * Height * 3];
        image.CopyPixelDataTo(decoded);
        Assert.Equal(rgb, decoded);
    }

    [Fact]
    public void AWrongSizedBufferIsRefused()
    {
        Assert.Throws<ArgumentException>(() => new FrameEncoder(new LiveOptions()).Encode(new byte[10], Width, Height));
    }

    private static byte[] Noise()
    {
        var rgb = new byte[Width * Height * 3];
        new Random(5).NextBytes(rgb);
        return rgb;
    }
}
