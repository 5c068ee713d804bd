using NitroLive.Core.Imaging;

namespace NitroLive.Core.Tests.Imaging;

public sealed class PixelConversionTests
{
    // diffusers: (x / 2 + 0.5).clamp(0, 1) in float32, then numpy (x * 255).round().astype(uint8); NaN is ours: 0.
    private static byte Reference(float x)
    {
        var v = (x / 2f) + 0.5f;
        if (float.IsNaN(v))
        {
            return 0;
        }

        v = Math.Clamp(v, 0f, 1f);
        return (byte)MathF.Round(v * 255f, MidpointRounding.ToEven);
    }

    // The same on a float16 tensor: each torch op rounds to half, then `.float()` before numpy.
    private static byte Reference(Half x)
    {
        var halved = (Half)((float)x / 2f);
        var shifted = (Half)((float)halved + 0.5f);
        if (Half.IsNaN(shifted))
        {
            return 0;
        }

        var v = Math.Clamp((float)shifted, 0f, 1f);
        return (byte)MathF.Round(v * 255f, MidpointRounding.ToEven);
    }

    [Theory]
    [InlineData(-1f, 0)]
    [InlineData(1f, 255)]
    [InlineData(0f, 128)] // 127.5 rounds half to even
    [InlineData(-0.5f, 64)] // 63.75
    [InlineData(0.5f, 191)] // 191.25
    [InlineData(2f, 255)]
    [InlineData(-3f, 0)]
    [InlineData(float.PositiveInfinity, 255)]
    [InlineData(float.NegativeInfinity, 0)]
    [InlineData(float.NaN, 0)]
    [InlineData(-0.49411762f, 64)] // (x/2 + 0.5) * 255 is exactly 64.5: half to even gives 64, not 65
    public void KnownValuesConvertLikeDiffusers(float value, byte expected)
    {
        // A 40-pixel image takes the SIMD path for most pixels and the scalar tail for the rest.
        const int Width = 40;
        var chw = Enumerable.Repeat(value, 3 * Width).ToArray();
        var rgb = new byte[3 * Width];

        PixelConversion.ToRgb24(chw, Width, 1, rgb);

        Assert.All(rgb, b => Assert.Equal(expected, b));
        Assert.Equal(expected, Reference(value));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 5)]
    [InlineData(33, 31)]
    [InlineData(128, 128)]
    public void PlanesAreInterleavedPixelByPixel(int width, int height)
    {
        var pixels = width * height;
        var chw = new float[3 * pixels];
        var random = new Random(width * 1000 + height);
        for (var i = 0; i < chw.Length; i++)
        {
            chw[i] = (float)((random.NextDouble() * 2.4) - 1.2);
        }

        var rgb = new byte[3 * pixels];
        PixelConversion.ToRgb24(chw, width, height, rgb);

        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var p = (y * width) + x;
                for (var c = 0; c < 3; c++)
                {
                    Assert.Equal(Reference(chw[(c * pixels) + p]), rgb[(3 * p) + c]);
                }
            }
        }
    }

    [Fact]
    public void ValuesAroundEveryRoundingBoundaryMatchNumpy()
    {
        // For each k, the inputs whose scaled value lies within a few ulps of k + 0.5.
        var values = new List<float>();
        for (var k = 0; k < 255; k++)
        {
            var x = (((k + 0.5f) / 255f) - 0.5f) * 2f;
            var bits = BitConverter.SingleToInt32Bits(x);
            for (var d = -6; d <= 6; d++)
            {
                values.Add(BitConverter.Int32BitsToSingle(bits + d));
            }
        }

        while (values.Count % 3 != 0)
        {
            values.Add(0f);
        }

        var width = values.Count / 3;
        var rgb = new byte[values.Count];
        PixelConversion.ToRgb24(values.ToArray(), width, 1, rgb);

        for (var c = 0; c < 3; c++)
        {
            for (var p = 0; p < width; p++)
            {
                Assert.Equal(Reference(values[(c * width) + p]), rgb[(3 * p) + c]);
            }
        }
    }

    [Fact]
    public void EveryFloat16ValueConvertsLikeATorchHalfTensor()
    {
        const int Width = 65536;
        var chw = new Half[3 * Width];
        for (var i = 0; i < Width; i++)
        {
            chw[i] = BitConverter.UInt16BitsToHalf((ushort)i);
            chw[Width + i] = BitConverter.UInt16BitsToHalf((ushort)(Width - 1 - i));
            chw[(2 * Width) + i] = BitConverter.UInt16BitsToHalf((ushort)((i * 7) + 3));
        }

        var rgb = new byte[3 * Width];
        PixelConversion.ToRgb24(chw, Width, 1, rgb);

        var mismatches = 0;
        for (var c = 0; c < 3; c++)
        {
            for (var p = 0; p < Width; p++)
            {
                if (Reference(chw[(c * Width) + p]) != rgb[(3 * p) + c])
                {
                    mismatches++;
                }
            }
        }

        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void Float16RoundingDiffersFromFloat32WhereTorchWould()
    {
        // 0x2005 = 0.00785065: x/2 + 0.5 = 0.50392532 in float32 gives 128.5010 -> 129, but torch's half tensor holds
        // 0.50390625 (the nearest float16), and 0.50390625 * 255 = 128.496 -> 128.
        var x = BitConverter.UInt16BitsToHalf(0x2005);
        Assert.Equal(128, Convert(x));
        Assert.Equal(129, ConvertFloat((float)x));
    }

    [Fact]
    public void SizeMismatchesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => PixelConversion.ToRgb24(new float[11], 2, 2, new byte[12]));
        Assert.Throws<ArgumentException>(() => PixelConversion.ToRgb24(new float[12], 2, 2, new byte[11]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PixelConversion.ToRgb24(Array.Empty<float>(), 0, 2, Array.Empty<byte>()));
        Assert.Throws<ArgumentException>(() => PixelConversion.ToRgb24(new Half[12], 2, 2, new byte[13]));
    }

    private static byte Convert(Half value)
    {
        var rgb = new byte[3];
        PixelConversion.ToRgb24([value, value, value], 1, 1, rgb);
        return rgb[0];
    }

    private static byte ConvertFloat(float value)
    {
        var rgb = new byte[3];
        PixelConversion.ToRgb24([value, value, value], 1, 1, rgb);
        return rgb[0];
    }
}
