namespace NitroLive.Core.Pipeline;

/// <summary>
/// Arrays of exactly the requested length for generation results (<see cref="GenerationResult.Rgb"/>), handed back by
/// whoever owns a result once nothing reads it any more. A 1024x1024 frame is 3 MB, which .NET puts on the large object
/// heap, collected only with the oldest generation: a fresh array per frame at 20 frames a second piles up 60 MB a
/// second for full collections. Bounded: at most <c>maxPerLength</c> arrays of each of at most <c>maxLengths</c>
/// lengths wait here; beyond that a returned array is left to the garbage collector. Thread-safe.
/// </summary>
public sealed class RgbBufferPool
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, Stack<byte[]>> _free = [];
    private readonly int _maxPerLength;
    private readonly int _maxLengths;

    /// <summary>A pool keeping up to <paramref name="maxPerLength"/> arrays of each of up to <paramref name="maxLengths"/> lengths.</summary>
    public RgbBufferPool(int maxPerLength = 16, int maxLengths = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLengths, 1);
        _maxPerLength = maxPerLength;
        _maxLengths = maxLengths;
    }

    /// <summary>An array of exactly <paramref name="length"/> bytes; its contents are whatever its last user left.</summary>
    public byte[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        lock (_gate)
        {
            if (_free.TryGetValue(length, out var stack) && stack.TryPop(out var array))
            {
                return array;
            }
        }

        return new byte[length];
    }

    /// <summary>Takes back an array nobody reads any more; the same array returned twice is kept once.</summary>
    public void Return(byte[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        lock (_gate)
        {
            if (!_free.TryGetValue(array.Length, out var stack))
            {
                if (_free.Count >= _maxLengths)
                {
                    return;
                }

                stack = new Stack<byte[]>();
                _free[array.Length] = stack;
            }

            if (stack.Count < _maxPerLength && !stack.Contains(array))
            {
                stack.Push(array);
            }
        }
    }

    /// <summary>How many arrays of <paramref name="length"/> bytes wait to be rented.</summary>
    public int Available(int length)
    {
        lock (_gate)
        {
            return _free.TryGetValue(length, out var stack) ? stack.Count : 0;
        }
    }
}
