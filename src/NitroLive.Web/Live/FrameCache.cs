using NitroLive.Core.Pipeline;

namespace NitroLive.Web.Live;

/// <summary>
/// What makes a picture: the prompt as the model reads it (<see cref="IImageGenerator.PromptKey"/>), the seed, steps,
/// size and variant. Two fixed-seed requests with the same key get exactly the same picture.
/// </summary>
internal readonly record struct FrameKey(string PromptKey, long Seed, int Steps, int Width, int Height, string Variant);

/// <summary>
/// Recently generated pictures, encoded and at full quality, so that a request for one of them again (a backspace that
/// returns to a prompt typed a moment ago, a kiosk playlist coming round) is answered without a generation. Bounded by
/// bytes (encoded image plus pixels), least recently used first out; the pixel arrays are the generator's own, taken
/// over instead of handed back to the <see cref="RgbBufferPool"/>, and handed back when evicted. Thread-safe.
/// </summary>
internal sealed class FrameCache
{
    private readonly Lock _gate = new();
    private readonly Dictionary<FrameKey, LinkedListNode<Entry>> _index = [];
    private readonly LinkedList<Entry> _order = new();
    private readonly RgbBufferPool _pool;
    private long _bytes;

    public FrameCache(long capacityBytes, RgbBufferPool pool)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        CapacityBytes = capacityBytes;
        _pool = pool;
    }

    public long CapacityBytes { get; }

    public bool Enabled => CapacityBytes > 0;

    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _index.Count;
            }
        }
    }

    /// <summary>
    /// Keeps a generated picture; true when the cache took <paramref name="rgb"/> over (the caller must not hand it
    /// back to the pool then), false when the picture does not fit or the key is held already.
    /// </summary>
    public bool TryAdd(FrameKey key, FrameFormat format, byte[] image, byte[] rgb, int width, int height)
    {
        var size = (long)image.Length + rgb.Length;
        if (size > CapacityBytes)
        {
            return false;
        }

        List<byte[]>? evicted = null;
        lock (_gate)
        {
            if (_index.TryGetValue(key, out var held))
            {
                _order.Remove(held);
                _order.AddFirst(held);
                return false;
            }

            while (_bytes + size > CapacityBytes && _order.Last is { } oldest)
            {
                _order.RemoveLast();
                _index.Remove(oldest.Value.Key);
                _bytes -= oldest.Value.Size;
                (evicted ??= []).Add(oldest.Value.Rgb);
            }

            _index[key] = _order.AddFirst(new Entry(key, format, image, rgb, width, height, size));
            _bytes += size;
        }

        // Outside the lock: nothing reads an evicted entry's pixels any more (copies are made under the lock).
        if (evicted is not null)
        {
            foreach (var array in evicted)
            {
                _pool.Return(array);
            }
        }

        return true;
    }

    /// <summary>
    /// The picture for <paramref name="key"/>, its pixels copied into <paramref name="pixels"/> (or a new array when that
    /// one is null or of another length); null when not held.
    /// </summary>
    public CachedPicture? TryCopy(FrameKey key, byte[]? pixels)
    {
        lock (_gate)
        {
            if (!_index.TryGetValue(key, out var node))
            {
                return null;
            }

            _order.Remove(node);
            _order.AddFirst(node);
            var entry = node.Value;
            var copy = pixels is not null && pixels.Length == entry.Rgb.Length ? pixels : new byte[entry.Rgb.Length];
            entry.Rgb.CopyTo(copy, 0);
            return new CachedPicture(entry.Format, entry.Image, copy, entry.Width, entry.Height);
        }
    }

    private sealed record Entry(FrameKey Key, FrameFormat Format, byte[] Image, byte[] Rgb, int Width, int Height, long Size);
}

/// <summary>A picture from the <see cref="FrameCache"/>: its encoded image (shared, read-only) and a copy of its pixels.</summary>
internal sealed record CachedPicture(FrameFormat Format, byte[] Image, byte[] Rgb, int Width, int Height);
