using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace NitroLive.Web.Live;

/// <summary>Encodes generated RGB into the frame format; called from the encode stage, possibly in parallel.</summary>
internal interface IFrameEncoder
{
    FrameFormat Format { get; }

    byte[] Encode(byte[] rgb, int width, int height);
}

/// <summary>RGB bytes to JPEG/WebP frames and full-quality PNG downloads. Stateless and thread-safe.</summary>
internal sealed class FrameEncoder : IFrameEncoder
{
    private static readonly PngEncoder Png = new() { CompressionLevel = PngCompressionLevel.DefaultCompression };

    private readonly IImageEncoder _encoder;

    public FrameEncoder(LiveOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Format = options.FrameFormat;
        _encoder = options.FrameFormat switch
        {
            FrameFormat.Webp => new WebpEncoder { Quality = options.WebpQuality, FileFormat = WebpFileFormatType.Lossy },
            _ => new JpegEncoder { Quality = options.JpegQuality },
        };
    }

    public FrameFormat Format { get; }

    public byte[] Encode(byte[] rgb, int width, int height) => EncodeWith(_encoder, rgb, width, height);

    public static byte[] EncodePng(byte[] rgb, int width, int height) => EncodeWith(Png, rgb, width, height);

    private static byte[] EncodeWith(IImageEncoder encoder, byte[] rgb, int width, int height)
    {
        if (rgb.Length != width * height * 3)
        {
            throw new ArgumentException($"Expected {width * height * 3} RGB bytes for {width}x{height}; got {rgb.Length}.", nameof(rgb));
        }

        using var image = Image.LoadPixelData<Rgb24>(rgb, width, height);
        using var stream = new MemoryStream(capacity: width * height / 4);
        image.Save(stream, encoder);
        return stream.ToArray();
    }
}
