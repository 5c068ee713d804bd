using NitroLive.Core.Imaging.Jpeg;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace NitroLive.Core.Imaging;

/// <summary>
/// Encodes interleaved RGB24 frames as JPEG, WebP or PNG. A JPEG frame large enough to be cut into stripes (at least
/// 256 x 256 pixels each) on a machine with more than one processor is coded by NitroLive's own
/// <see cref="BaselineJpegEncoder"/>, its stripes in parallel; any other frame by ImageSharp, which is quicker on one
/// thread (bench/NitroLive.Bench's JpegEncoderBenchmarks). Both write the same tables and subsampling, so the two files
/// decode to the same picture within rounding. One instance can be shared: the configured encoders are immutable after
/// construction, and every call builds its own output.
/// </summary>
public sealed class FrameEncoder
{
    private readonly IImageEncoder _encoder;
    private readonly BaselineJpegEncoder? _jpeg;

    /// <summary>Creates an encoder for <paramref name="format"/>.</summary>
    /// <param name="format">The output format.</param>
    /// <param name="quality">Lossy quality, 1 to 100 (ignored for PNG).</param>
    /// <param name="jpegParallelism">
    /// Most threads one large JPEG frame is coded on; 0 for one per processor; 1 codes every frame on the caller's thread
    /// with ImageSharp.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">The quality, the parallelism or the format is out of range.</exception>
    public FrameEncoder(FrameFormat format, int quality = 85, int jpegParallelism = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        ArgumentOutOfRangeException.ThrowIfNegative(jpegParallelism);
        Format = format;
        Quality = quality;
        (_encoder, ContentType) = format switch
        {
            FrameFormat.Jpeg => ((IImageEncoder)new JpegEncoder { Quality = quality, ColorType = JpegColorType.YCbCrRatio420 }, "image/jpeg"),

            // Fastest: live frames are replaced within a fraction of a second, so encode time beats size.
            FrameFormat.WebP => (new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Quality = quality, Method = WebpEncodingMethod.Fastest }, "image/webp"),
            FrameFormat.Png => (new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8, CompressionLevel = PngCompressionLevel.BestSpeed }, "image/png"),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown frame format."),
        };
        var parallelism = jpegParallelism > 0 ? jpegParallelism : Environment.ProcessorCount;
        if (format == FrameFormat.Jpeg && parallelism > 1)
        {
            _jpeg = new BaselineJpegEncoder(quality, parallelism);
        }
    }

    /// <summary>The output format.</summary>
    public FrameFormat Format { get; }

    /// <summary>The lossy quality in effect.</summary>
    public int Quality { get; }

    /// <summary>The MIME type of the encoded bytes.</summary>
    public string ContentType { get; }

    /// <summary>Encodes one frame.</summary>
    /// <param name="rgb">Interleaved RGB24 pixels, row-major, <c>width*height*3</c> bytes.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <returns>The encoded file.</returns>
    /// <exception cref="ArgumentException">The buffer does not hold a <paramref name="width"/> x <paramref name="height"/> image.</exception>
    public byte[] Encode(ReadOnlySpan<byte> rgb, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (3L * width * height != rgb.Length)
        {
            throw new ArgumentException($"A {width}x{height} RGB24 frame needs {3L * width * height} bytes; got {rgb.Length}.", nameof(rgb));
        }

        if (_jpeg is not null && _jpeg.StripesFor(width, height) > 1)
        {
            return _jpeg.Encode(rgb, width, height);
        }

        using var image = Image.LoadPixelData<Rgb24>(rgb, width, height);
        using var output = new MemoryStream(capacity: Math.Max(4096, rgb.Length / 8));
        image.Save(output, _encoder);
        return output.ToArray();
    }
}
