namespace NitroLive.Core.Pipeline;

/// <summary>Both text encoders' outputs for one prompt, in float32.</summary>
/// <param name="Hidden">[tokens, D1 + D2]: TE1's and TE2's penultimate hidden states side by side.</param>
/// <param name="Pooled">[P]: TE2's text_embeds.</param>
internal sealed record PromptEmbedding(float[] Hidden, float[] Pooled)
{
    /// <summary>(1 - <paramref name="weight"/>) x this + <paramref name="weight"/> x <paramref name="other"/>, in new arrays.</summary>
    public PromptEmbedding Lerp(PromptEmbedding other, float weight)
    {
        // (1 - w) a + w b, not a + w (b - a): the ends give exactly a and b.
        var keep = 1f - weight;
        var hidden = new float[Hidden.Length];
        var pooled = new float[Pooled.Length];
        for (var i = 0; i < hidden.Length; i++)
        {
            hidden[i] = (keep * Hidden[i]) + (weight * other.Hidden[i]);
        }

        for (var i = 0; i < pooled.Length; i++)
        {
            pooled[i] = (keep * Pooled[i]) + (weight * other.Pooled[i]);
        }

        return new PromptEmbedding(hidden, pooled);
    }
}

/// <summary>Conditioning blended towards another prompt's: (1 - Weight) x the request's own + Weight x <paramref name="Prompt"/>'s.</summary>
/// <param name="Prompt">The prompt blended towards (the one shown before, when measuring transitions).</param>
/// <param name="Weight">0 = the request's own prompt, 1 = <paramref name="Prompt"/>'s.</param>
internal sealed record PromptBlend(string Prompt, float Weight);

/// <summary>
/// Least-recently-used prompt embeddings, bounded: typing revisits prompts (backspace, undo), and a hit skips the
/// tokenizer and both text encoders. Not thread-safe; the pipeline runs one generation at a time.
/// Once full, the evicted entry's arrays are handed back for the next prompt's encoding (<see cref="TakeOldestIfFull"/>):
/// typing misses on almost every keystroke, and a fresh pair of arrays each time would be garbage that lived long
/// enough to be promoted, so a busy server would pay for old-generation collections it never needed.
/// </summary>
internal sealed class PromptEmbeddingCache(int capacity)
{
    private readonly Dictionary<string, LinkedListNode<(string Prompt, PromptEmbedding Embedding)>> _index = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Prompt, PromptEmbedding Embedding)> _order = new();

    public int Count => _index.Count;

    public bool TryGet(string prompt, out PromptEmbedding embedding)
    {
        if (_index.TryGetValue(prompt, out var node))
        {
            _order.Remove(node);
            _order.AddFirst(node);
            embedding = node.Value.Embedding;
            return true;
        }

        embedding = null!;
        return false;
    }

    /// <summary>
    /// When the cache is full, removes its least recently used entry and returns that embedding for reuse, unless
    /// it is one of <paramref name="inUse"/> (the embeddings of the generation in progress); otherwise null.
    /// </summary>
    public PromptEmbedding? TakeOldestIfFull(ReadOnlySpan<PromptEmbedding?> inUse)
    {
        if (capacity <= 0 || _index.Count < capacity || _order.Last is not { } oldest)
        {
            return null;
        }

        foreach (var used in inUse)
        {
            if (ReferenceEquals(used, oldest.Value.Embedding))
            {
                return null;
            }
        }

        _order.RemoveLast();
        _index.Remove(oldest.Value.Prompt);
        return oldest.Value.Embedding;
    }

    public void Add(string prompt, PromptEmbedding embedding)
    {
        if (capacity <= 0)
        {
            return;
        }

        if (_index.TryGetValue(prompt, out var existing))
        {
            _order.Remove(existing);
            _index.Remove(prompt);
        }

        while (_index.Count >= capacity && _order.Last is { } oldest)
        {
            _order.RemoveLast();
            _index.Remove(oldest.Value.Prompt);
        }

        _index[prompt] = _order.AddFirst((prompt, embedding));
    }
}
