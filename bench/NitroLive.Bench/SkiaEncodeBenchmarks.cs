using BenchmarkDotNet.Attributes;
using SixLabors.ImageSharp.Formats.Jpeg;
using SkiaSharp;

namespace NitroLive.Bench;

/// <summary>
/// The faster option considered against ImageSharp for live frames: SkiaSharp's native JPEG (libjpeg-turbo) and WebP
/// (libwebp) encoders, on the same synthetic frames, in the same run as ImageSharp's JPEG baseline. Skia is referenced
/// by this benchmark project only.
/// </summary>
[MemoryDiagnoser]
public class SkiaEncodeBenchmarks : IDisposable
{
    private byte[] _rgb = [];
    private SKBitmap _bitmap = null!;
    private MemoryStream _output = null!;
    private JpegEncoder _imageSharp = null!;

    /// <summary>Image width and height in pixels.</summary>
    [Params(256, 512, 1024)]
    public int Size { get; set; }

    /// <summary>JPEG or WebP quality.</summary>
    [Params(75, 85)]
    public int Quality { get; set; }

    /// <summary>Builds the frame once as RGB24 (what the pipeline hands out) and the encoders.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _rgb = BenchData.SyntheticFrame(Size, Size);
        _bitmap = new SKBitmap(new SKImageInfo(Size, Size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        _output = new MemoryStream(Size * Size * 3);
        _imageSharp = new JpegEncoder { Quality = Quality, ColorType = JpegColorType.YCbCrRatio420 };
    }

    /// <summary>Releases the bitmap and the stream.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _bitmap?.Dispose();
        _output?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The product's encoder today (ImageSharp 2.1 JPEG 4:2:0), as the baseline of this run.</summary>
    [Benchmark(Baseline = true)]
    public long ImageSharpJpeg() => FrameEncoders.Encode(_imageSharp, wrap: true, _rgb, Size, _output);

    /// <summary>Skia JPEG: RGB24 expanded to RGBA (Skia has no 24-bit colour type), then encoded.</summary>
    [Benchmark]
    public long SkiaJpeg() => EncodeWithSkia(SKEncodedImageFormat.Jpeg);

    /// <summary>Skia WebP lossy.</summary>
    [Benchmark]
    public long SkiaWebp() => EncodeWithSkia(SKEncodedImageFormat.Webp);

    /// <summary>Encoded size of one frame with Skia (for the <c>sizes</c> command).</summary>
    public static long EncodedBytes(byte[] rgb, int size, SKEncodedImageFormat format, int quality)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        CopyRgbToRgba(rgb, bitmap.GetPixelSpan());
        using var data = bitmap.Encode(format, quality);
        return data.Size;
    }

    private long EncodeWithSkia(SKEncodedImageFormat format)
    {
        CopyRgbToRgba(_rgb, _bitmap.GetPixelSpan());
        _output.SetLength(0);
        using var data = _bitmap.Encode(format, Quality);
        data.SaveTo(_output);
        return _output.Length;
    }

    private static void CopyRgbToRgba(ReadOnlySpan<byte> rgb, Span<byte> rgba)
    {
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
        {
            rgba[j] = rgb[i];
            rgba[j + 1] = rgb[i + 1];
            rgba[j + 2] = rgb[i + 2];
            rgba[j + 3] = 255;
        }
    }
}
