using BenchmarkDotNet.Attributes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace NitroLive.Bench;

/// <summary>
/// RGB24 frame to file bytes with ImageSharp 2.1 (the product's only image codec; <see cref="SkiaEncodeBenchmarks"/>
/// measures SkiaSharp's native encoders against it). Each encoder setting a live server could pick, at
/// 256, 512 and 1024 pixels square; "Jpeg-q75-wrap" wraps the RGB buffer instead of copying it into an image.
/// </summary>
[MemoryDiagnoser]
public class FrameEncodeBenchmarks : IDisposable
{
    private byte[] _rgb = [];
    private IImageEncoder _encoder = null!;
    private MemoryStream _output = null!;

    /// <summary>Image width and height in pixels.</summary>
    [Params(256, 512, 1024)]
    public int Size { get; set; }

    /// <summary>Format and setting; see <see cref="FrameEncoders.Create"/>.</summary>
    [ParamsSource(nameof(Encoders))]
    public string Encoder { get; set; } = "Jpeg-q75";

    /// <summary>Every setting measured.</summary>
    public static IEnumerable<string> Encoders() => FrameEncoders.Names;

    /// <summary>Builds the frame and the encoder.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _rgb = BenchData.SyntheticFrame(Size, Size);
        _encoder = FrameEncoders.Create(Encoder);
        _output = new MemoryStream(Size * Size * 3);
    }

    /// <summary>Releases the output stream.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _output?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Encode one frame into a reused stream.</summary>
    [Benchmark]
    public long Encode() => FrameEncoders.Encode(_encoder, Encoder.EndsWith("-wrap", StringComparison.Ordinal), _rgb, Size, _output);
}

/// <summary>The encoder settings compared, by name.</summary>
public static class FrameEncoders
{
    /// <summary>Names accepted by <see cref="Create"/>.</summary>
    public static readonly string[] Names =
    [
        "Jpeg-q50", "Jpeg-q75", "Jpeg-q85", "Jpeg-q95", "Jpeg-q85-444", "Jpeg-q75-wrap",
        "Webp-q75-fastest", "Webp-q75-default",
        "Png-fastest", "Png-default",
    ];

    /// <summary>The ImageSharp encoder a name stands for.</summary>
    public static IImageEncoder Create(string name) => name switch
    {
        "Jpeg-q50" => new JpegEncoder { Quality = 50, ColorType = JpegColorType.YCbCrRatio420 },
        "Jpeg-q75" or "Jpeg-q75-wrap" => new JpegEncoder { Quality = 75, ColorType = JpegColorType.YCbCrRatio420 },
        "Jpeg-q85" => new JpegEncoder { Quality = 85, ColorType = JpegColorType.YCbCrRatio420 },
        "Jpeg-q95" => new JpegEncoder { Quality = 95, ColorType = JpegColorType.YCbCrRatio420 },
        "Jpeg-q85-444" => new JpegEncoder { Quality = 85, ColorType = JpegColorType.YCbCrRatio444 },
        "Webp-q75-fastest" => new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Quality = 75, Method = WebpEncodingMethod.Fastest },
        "Webp-q75-default" => new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Quality = 75 },
        "Png-fastest" => new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8, CompressionLevel = PngCompressionLevel.BestSpeed },
        "Png-default" => new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 },
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown encoder setting."),
    };

    /// <summary>Encodes a square RGB24 frame into <paramref name="output"/> (rewound first); returns the byte count.</summary>
    public static long Encode(IImageEncoder encoder, bool wrap, byte[] rgb, int size, MemoryStream output)
    {
        output.SetLength(0);
        using var image = wrap
            ? Image.WrapMemory<Rgb24>(rgb.AsMemory(), size, size)
            : Image.LoadPixelData<Rgb24>(rgb, size, size);
        image.Save(output, encoder);
        return output.Length;
    }
}
