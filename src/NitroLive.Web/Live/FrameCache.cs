using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NitroLive.Core.Pipeline;

namespace NitroLive.Web.Live;

/// <summary>
/// What makes a picture: the prompt as the model reads it (a SHA-256 digest of <see cref="IImageGenerator.PromptKey"/>,
/// cut to 128 bits), the seed, steps, size and variant, and whether the model's tiny decoder decoded it (a draft, when
/// the variant has one: otherwise one key would name two pictures). Two fixed-seed requests with the same key get
/// exactly the same picture.
/// </summary>
/// <remarks>
/// A digest rather than the key's text: a key held in the cache lives long enough to die in the oldest GC generation,
/// and this struct leaves no text of its own there (the variant's name is the request's, kept from keystroke to
/// keystroke). Two different prompts share a digest with a chance of about n^2 / 2^129 for n prompts.
/// </remarks>
internal readonly record struct FrameKey(UInt128 Prompt, long Seed, int Steps, int Width, int Height, string Variant, bool TinyDecoder = false)
{
    /// <summary>The key of a request whose prompt the model reads as <paramref name="promptKey"/>.</summary>
    public static FrameKey Of(string promptKey, long seed, int steps, int width, int height, string variant)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(promptKey), digest);
        return new FrameKey(BinaryPrimitives.ReadUInt128LittleEndian(digest), seed, steps, width, height, variant);
    }
}

/// <summary>
/// Recently generated pictures, encoded and at full quality, so that a request for one of them again (a backspace that
/// returns to a prompt typed a moment ago, a kiosk playlist coming round) is answered without a generation. Bounded by
/// bytes (encoded image plus pixels), least recently used first out. Thread-safe.
/// </summary>
/// <remarks>
/// A busy server makes hundreds of pictures a second, and each lives in the cache long enough to reach the oldest GC
/// generation before it is evicted: what dies there piles up until a full collection (the 32-client soak showed a
/// steady climb). So nothing per picture is left to the GC: the pixel arrays are the generator's own, taken over instead
/// of handed back to the <see cref="RgbBufferPool"/> and handed back on eviction; the encoded image is copied into an
/// <see cref="ArrayPool{T}"/> buffer (a hit gets a fresh copy of it, which dies young); an evicted entry and its list
/// node carry the next picture.
/// </remarks>
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

        List<(byte[] Image, byte[] Rgb)>? released = null;
        lock (_gate)
        {
            if (_index.TryGetValue(key, out var held))
            {
                _order.Remove(held);
                _order.AddFirst(held);
                return false;
            }

            LinkedListNode<Entry>? reusable = null;
            while (_bytes + size > CapacityBytes && _order.Last is { } oldest)
            {
                _order.RemoveLast();
                _index.Remove(oldest.Value.Key);
                _bytes -= oldest.Value.Size;
                (released ??= []).Add((oldest.Value.Image, oldest.Value.Rgb));
                reusable ??= oldest;
            }

            var copy = ArrayPool<byte>.Shared.Rent(image.Length);
            image.CopyTo(copy, 0);
            var node = reusable ?? new LinkedListNode<Entry>(new Entry());
            node.Value.Set(key, format, copy, image.Length, rgb, width, height, size);
            _order.AddFirst(node);
            _index[key] = node;
            _bytes += size;
        }

        // Outside the lock: nothing reads a released entry's arrays any more (copies are made under the lock).
        if (released is not null)
        {
            foreach (var (oldImage, oldRgb) in released)
            {
                ArrayPool<byte>.Shared.Return(oldImage);
                _pool.Return(oldRgb);
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
            return new CachedPicture(entry.Format, entry.Image.AsSpan(0, entry.ImageLength).ToArray(), copy, entry.Width, entry.Height);
        }
    }

    /// <summary>One held picture; reused for the next picture once evicted.</summary>
    private sealed class Entry
    {
        public FrameKey Key { get; private set; }

        public FrameFormat Format { get; private set; }

        public byte[] Image { get; private set; } = [];

        public int ImageLength { get; private set; }

        public byte[] Rgb { get; private set; } = [];

        public int Width { get; private set; }

        public int Height { get; private set; }

        public long Size { get; private set; }

        public void Set(FrameKey key, FrameFormat format, byte[] image, int imageLength, byte[] rgb, int width, int height, long size)
        {
            Key = key;
            Format = format;
            Image = image;
            ImageLength = imageLength;
            Rgb = rgb;
            Width = width;
            Height = height;
            Size = size;
        }
    }
}

/// <summary>A picture from the <see cref="FrameCache"/>: a copy of its encoded image and of its pixels.</summary>
internal sealed record CachedPicture(FrameFormat Format, byte[] Image, byte[] Rgb, int Width, int Height);
