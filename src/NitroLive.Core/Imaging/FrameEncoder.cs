using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace NitroLive.Core.Imaging;

/// <summary>
/// Encodes interleaved RGB24 frames as JPEG, WebP or PNG with ImageSharp. One instance can be shared: the
/// configured encoder is immutable after construction, and every call builds its own image and output.
/// </summary>
public sealed class FrameEncoder
{
    private readonly IImageEncoder _encoder;

    /// <summary>Creates an encoder for <paramref name="format"/>.</summary>
    /// <param name="format">The output format.</param>
    /// <param name="quality">Lossy quality, 1 to 100 (ignored for PNG).</param>
    /// <exception cref="ArgumentOutOfRangeException">The quality or the format is out of range.</exception>
    public FrameEncoder(FrameFormat format, int quality = 85)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        Format = format;
        Quality = quality;
        (_encoder, ContentType) = format switch
        {
            FrameFormat.Jpeg => ((IImageEncoder)new JpegEncoder { Quality = quality }, "image/jpeg"),

            // Fastest: live frames are replaced within a fraction of a second, so encode time beats size.
            FrameFormat.WebP => (new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Quality = quality, Method = WebpEncodingMethod.Fastest }, "image/webp"),
            FrameFormat.Png => (new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8, CompressionLevel = PngCompressionLevel.BestSpeed }, "image/png"),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown frame format."),
        };
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

        using var image = Image.LoadPixelData<Rgb24>(rgb, width, height);
        using var output = new MemoryStream(capacity: Math.Max(4096, rgb.Length / 8));
        image.Save(output, _encoder);
        return output.ToArray();
    }
}
