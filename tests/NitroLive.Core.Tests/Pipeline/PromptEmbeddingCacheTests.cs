using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.Pipeline;

public sealed class PromptEmbeddingCacheTests
{
    private static PromptEmbedding Embedding(float v) => new([v], [v]);

    [Fact]
    public void TheLeastRecentlyUsedPromptIsEvictedFirst()
    {
        var cache = new PromptEmbeddingCache(2);
        cache.Add("a", Embedding(1));
        cache.Add("b", Embedding(2));
        Assert.True(cache.TryGet("a", out _)); // "a" is now the most recent

        cache.Add("c", Embedding(3));

        Assert.True(cache.TryGet("a", out var a));
        Assert.Equal(1, a.Hidden[0]);
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("c", out _));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void ReAddingAPromptReplacesItWithoutGrowing()
    {
        var cache = new PromptEmbeddingCache(2);
        cache.Add("a", Embedding(1));
        cache.Add("a", Embedding(5));

        Assert.Equal(1, cache.Count);
        Assert.True(cache.TryGet("a", out var a));
        Assert.Equal(5, a.Pooled[0]);
    }

    [Fact]
    public void PromptsAreKeyedExactly()
    {
        var cache = new PromptEmbeddingCache(4);
        cache.Add("Red", Embedding(1));

        Assert.False(cache.TryGet("red", out _));
        Assert.False(cache.TryGet("Red ", out _));
    }

    [Fact]
    public void AZeroSizedCacheKeepsNothing()
    {
        var cache = new PromptEmbeddingCache(0);
        cache.Add("a", Embedding(1));

        Assert.False(cache.TryGet("a", out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void AFullCacheHandsOverItsLeastRecentlyUsedEntry()
    {
        var cache = new PromptEmbeddingCache(2);
        var a = Embedding(1);
        cache.Add("a", a);
        Assert.Null(cache.TakeOldestIfFull([]));

        cache.Add("b", Embedding(2));
        var taken = cache.TakeOldestIfFull([]);

        Assert.Same(a, taken);
        Assert.Equal(1, cache.Count);
        Assert.False(cache.TryGet("a", out _));
        Assert.True(cache.TryGet("b", out _));
    }

    [Fact]
    public void AnEntryInUseIsNotHandedOver()
    {
        var cache = new PromptEmbeddingCache(1);
        var a = Embedding(1);
        cache.Add("a", a);

        Assert.Null(cache.TakeOldestIfFull([null, a]));
        Assert.True(cache.TryGet("a", out _));
    }

    [Fact]
    public void AZeroSizedCacheHandsOverNothing()
    {
        Assert.Null(new PromptEmbeddingCache(0).TakeOldestIfFull([]));
    }
}
