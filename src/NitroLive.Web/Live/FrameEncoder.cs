namespace NitroLive.Web.Live;

/// <summary>Encodes generated RGB into the frame format; called from the encode stage, possibly in parallel.</summary>
internal interface IFrameEncoder
{
    FrameFormat Format { get; }

    byte[] Encode(byte[] rgb, int width, int height);
}

/// <summary>
/// The live frame format and quality from <see cref="LiveOptions"/>, encoded by the engine's
/// <see cref="Core.Imaging.FrameEncoder"/>: one implementation, so `nitrolive bench pipeline` and the encoder
/// benchmarks time exactly what the server sends. Stateless and thread-safe.
/// </summary>
internal sealed class FrameEncoder : IFrameEncoder
{
    private static readonly Core.Imaging.FrameEncoder Png = new(Core.Imaging.FrameFormat.Png);

    private readonly Core.Imaging.FrameEncoder _encoder;

    public FrameEncoder(LiveOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Format = options.FrameFormat;
        _encoder = options.FrameFormat == FrameFormat.Webp
            ? new Core.Imaging.FrameEncoder(Core.Imaging.FrameFormat.WebP, options.WebpQuality)
            : new Core.Imaging.FrameEncoder(Core.Imaging.FrameFormat.Jpeg, options.JpegQuality);
    }

    public FrameFormat Format { get; }

    public byte[] Encode(byte[] rgb, int width, int height) => _encoder.Encode(rgb, width, height);

    /// <summary>A full-quality download: lossless, encoded for speed (a download waits for it).</summary>
    public static byte[] EncodePng(byte[] rgb, int width, int height) => Png.Encode(rgb, width, height);
}
