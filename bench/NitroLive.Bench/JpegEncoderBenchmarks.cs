using BenchmarkDotNet.Attributes;
using NitroLive.Core.Imaging.Jpeg;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace NitroLive.Bench;

/// <summary>
/// The live JPEG encoder (NitroLive's <see cref="BaselineJpegEncoder"/>) against ImageSharp's at the same setting (q85,
/// 4:2:0: the same tables, so the same file within a few bytes), on one thread and on every processor (stripes of at
/// least 256 x 256 pixels, so frames up to 362 x 362 stay in one pass).
/// </summary>
[MemoryDiagnoser]
public class JpegEncoderBenchmarks : IDisposable
{
    private byte[] _rgb = [];
    private MemoryStream _output = null!;
    private JpegEncoder _imageSharp = null!;
    private BaselineJpegEncoder _onePass = null!;
    private BaselineJpegEncoder _parallel = null!;

    /// <summary>Image width and height in pixels.</summary>
    [Params(128, 256, 512, 1024)]
    public int Size { get; set; }

    /// <summary>
    /// What the frame shows: a synthetic picture, or uniform noise, the costliest content to code (the frames of a
    /// model with random weights, as on the GPU checks, come close to it).
    /// </summary>
    [Params("picture", "noise")]
    public string Content { get; set; } = "picture";

    /// <summary>Builds the frame and the encoders.</summary>
    [GlobalSetup]
    public void Setup()
    {
        if (Content == "noise")
        {
            _rgb = new byte[Size * Size * 3];
            new Random(1234).NextBytes(_rgb);
        }
        else
        {
            _rgb = BenchData.SyntheticFrame(Size, Size);
        }

        _output = new MemoryStream(Size * Size * 3);
        _imageSharp = new JpegEncoder { Quality = 85, ColorType = JpegColorType.YCbCrRatio420 };
        _onePass = new BaselineJpegEncoder(85, maxParallelism: 1);
        _parallel = new BaselineJpegEncoder(85, maxParallelism: Environment.ProcessorCount);
    }

    /// <summary>Releases the output stream.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _output?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>ImageSharp 2.1, the live encoder before this one.</summary>
    [Benchmark(Baseline = true)]
    public long ImageSharp()
    {
        _output.SetLength(0);
        using var image = Image.LoadPixelData<Rgb24>(_rgb, Size, Size);
        image.Save(_output, _imageSharp);
        return _output.Length;
    }

    /// <summary>NitroLive's encoder on the calling thread.</summary>
    [Benchmark]
    public int NitroOnePass() => _onePass.Encode(_rgb, Size, Size).Length;

    /// <summary>NitroLive's encoder with stripes on every processor (what the live server runs).</summary>
    [Benchmark]
    public int NitroParallel() => _parallel.Encode(_rgb, Size, Size).Length;
}
