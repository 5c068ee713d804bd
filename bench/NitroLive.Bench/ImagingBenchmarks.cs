using BenchmarkDotNet.Attributes;
using NitroLive.Core.Imaging;

namespace NitroLive.Bench;

/// <summary>VAE output to RGB24 and RGB24 to an encoded frame, at NitroFusion's native 1024x1024.</summary>
[MemoryDiagnoser]
public class ImagingBenchmarks
{
    private const int Side = 1024;
    private readonly float[] _chw = new float[3 * Side * Side];
    private readonly Half[] _chwHalf = new Half[3 * Side * Side];
    private readonly byte[] _rgb = new byte[3 * Side * Side];
    private readonly FrameEncoder _jpeg = new(FrameFormat.Jpeg, 85);
    private readonly FrameEncoder _webp = new(FrameFormat.WebP, 85);
    private readonly FrameEncoder _png = new(FrameFormat.Png);

    [GlobalSetup]
    public void Setup()
    {
        // Smooth content, like a decoded image, rather than noise that no codec can compress.
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < Side; y++)
            {
                for (var x = 0; x < Side; x++)
                {
                    var value = (float)Math.Sin((x * (c + 1) * 0.01) + (y * 0.013));
                    _chw[(((c * Side) + y) * Side) + x] = value;
                    _chwHalf[(((c * Side) + y) * Side) + x] = (Half)value;
                }
            }
        }

        PixelConversion.ToRgb24(_chw, Side, Side, _rgb);
    }

    [Benchmark]
    public void ToRgb24Float32() => PixelConversion.ToRgb24(_chw, Side, Side, _rgb);

    [Benchmark]
    public void ToRgb24Float16() => PixelConversion.ToRgb24(_chwHalf, Side, Side, _rgb);

    [Benchmark]
    public byte[] EncodeJpeg() => _jpeg.Encode(_rgb, Side, Side);

    [Benchmark]
    public byte[] EncodeWebP() => _webp.Encode(_rgb, Side, Side);

    [Benchmark]
    public byte[] EncodePng() => _png.Encode(_rgb, Side, Side);
}
