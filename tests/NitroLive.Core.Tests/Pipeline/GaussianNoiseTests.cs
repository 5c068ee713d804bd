using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.Pipeline;

public sealed class GaussianNoiseTests
{
    // From an independent Python implementation of the algorithm in docs/engine.md (SplitMix64 -> xoshiro256** ->
    // 53-bit uniforms -> Box-Muller, cos first).
    [Theory]
    [InlineData(0L, 0x99ec5f36cb75f2b4UL, 0xbf6e1f784956452aUL, 0x1a5f849d4933e6e0UL)]
    [InlineData(42L, 0x15780b2e0c2ec716UL, 0x6104d9866d113a7eUL, 0xae17533239e499a1UL)]
    [InlineData(-1L, 0x8f5520d52a7ead08UL, 0xc476a018caa1802dUL, 0x81de31c0d260469eUL)]
    public void TheRawStreamIsXoshiro256StarStarSeededBySplitMix64(long seed, ulong first, ulong second, ulong third)
    {
        var noise = new GaussianNoise(seed);

        Assert.Equal([first, second, third], [noise.NextUInt64(), noise.NextUInt64(), noise.NextUInt64()]);
    }

    [Theory]
    [InlineData(0L, new[] { -0.01896499060631051, -1.3559302271143727, -0.40372109705088766, 0.23335097938940202, 1.6251100012755157 })]
    [InlineData(42L, new[] { -0.30326306467873798, 0.28846173882942383, 1.3438117634372806, -0.6879751798977497, 0.38346179126769431 })]
    [InlineData(-1L, new[] { 0.14007213425705564, -1.2735200241607449, -0.017617707350750064, -1.1896998379951951, -0.14815737346182747 })]
    public void NormalsFollowBoxMullerInPairs(long seed, double[] expected)
    {
        var noise = new GaussianNoise(seed);

        var actual = Enumerable.Range(0, expected.Length).Select(_ => noise.NextNormal()).ToArray();

        Assert.Equal(expected, actual, (a, b) => Math.Abs(a - b) < 1e-15);
    }

    [Fact]
    public void TheStreamDoesNotDependOnHowDrawsAreSplit()
    {
        var whole = new float[7];
        new GaussianNoise(5).Fill(whole);
        var parts = new float[7];
        var split = new GaussianNoise(5);
        split.Fill(parts.AsSpan(0, 3));
        split.Fill(parts.AsSpan(3));

        Assert.Equal(whole, parts);
    }

    [Fact]
    public void TheNormalsAreStandardNormal()
    {
        var values = new float[200_000];
        new GaussianNoise(123).Fill(values);

        var mean = values.Average(v => (double)v);
        var variance = values.Average(v => (v - mean) * (v - mean));
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.98, 1.02);
        Assert.InRange(values.Count(v => Math.Abs(v) < 1) / (double)values.Length, 0.68, 0.69);
    }
}
