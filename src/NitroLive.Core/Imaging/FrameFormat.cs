namespace NitroLive.Core.Imaging;

/// <summary>The encodings a frame can be sent in.</summary>
public enum FrameFormat
{
    /// <summary>Baseline JPEG: the smallest and fastest for live frames.</summary>
    Jpeg,

    /// <summary>Lossy WebP.</summary>
    WebP,

    /// <summary>Lossless PNG, for downloads and exact comparisons.</summary>
    Png,
}
