using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.Pipeline;

public sealed class RgbBufferPoolTests
{
    [Fact]
    public void AReturnedArrayIsRentedAgainForItsExactLength()
    {
        var pool = new RgbBufferPool();
        var first = pool.Rent(12);
        Assert.Equal(12, first.Length);

        pool.Return(first);

        Assert.NotSame(first, pool.Rent(15));
        Assert.Same(first, pool.Rent(12));
        Assert.Equal(0, pool.Available(12));
    }

    [Fact]
    public void TheSameArrayReturnedTwiceIsKeptOnce()
    {
        var pool = new RgbBufferPool();
        var array = new byte[6];

        pool.Return(array);
        pool.Return(array);

        Assert.Equal(1, pool.Available(6));
        Assert.Same(array, pool.Rent(6));
        Assert.NotSame(array, pool.Rent(6));
    }

    [Fact]
    public void ThePoolKeepsABoundedNumberOfArraysOfABoundedNumberOfLengths()
    {
        var pool = new RgbBufferPool(maxPerLength: 2, maxLengths: 2);
        for (var i = 0; i < 5; i++)
        {
            pool.Return(new byte[3]);
        }

        pool.Return(new byte[6]);
        pool.Return(new byte[9]);

        Assert.Equal(2, pool.Available(3));
        Assert.Equal(1, pool.Available(6));
        Assert.Equal(0, pool.Available(9));
    }
}
