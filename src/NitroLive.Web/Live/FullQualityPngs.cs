namespace NitroLive.Web.Live;

/// <summary>
/// Full-quality PNGs of sessions' newest frames, for downloads (the studio's button, the hub's <c>DownloadPng</c>, the
/// HTTP endpoint). A PNG of a 1024x1024 frame takes tens of milliseconds of a core, and kiosk ids are public (their QR
/// code is on screen): so only a few encodes run at once server-wide, and the last few PNGs are kept, so asking again
/// for a frame already encoded costs nothing. A caller copies the frame's pixels before it waits for its turn: the frame
/// asked for is the one it gets, even when a newer one arrives meanwhile (the HTTP limit per address and the hub's per
/// connection bound how many wait).
/// </summary>
internal sealed class FullQualityPngs : IDisposable
{
    /// <summary>PNGs kept: a frame everyone downloads at once (a demo's picture) is encoded once.</summary>
    private const int Kept = 4;

    private readonly SemaphoreSlim _encodes;
    private readonly Func<byte[], int, int, byte[]> _encode;
    private readonly Lock _gate = new();
    private readonly LinkedList<(string SessionId, long Sequence, byte[] Png)> _kept = new();
    private int _encoded;

    /// <summary>At most <paramref name="concurrentEncodes"/> PNGs are encoded at once, by <paramref name="encode"/> (RGB, width, height; tests).</summary>
    public FullQualityPngs(int concurrentEncodes, Func<byte[], int, int, byte[]>? encode = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrentEncodes, 1);
        _encodes = new SemaphoreSlim(concurrentEncodes, concurrentEncodes);
        _encode = encode ?? FrameEncoder.EncodePng;
    }

    /// <summary>PNGs encoded so far (for tests).</summary>
    internal int Encoded => Volatile.Read(ref _encoded);

    /// <summary>One encode at a time per four cores (at least one), so downloads never take every core from generation.</summary>
    public static int DefaultConcurrency => Math.Max(1, Environment.ProcessorCount / 4);

    /// <summary>The PNG of <paramref name="frame"/>: kept, or encoded from what <paramref name="copyPixels"/> gives.</summary>
    public async Task<byte[]> GetAsync(LiveFrame frame, Func<byte[]> copyPixels, CancellationToken cancellationToken)
    {
        if (Find(frame) is { } kept)
        {
            return kept;
        }

        var rgb = copyPixels();
        await _encodes.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have encoded the same frame while this one waited.
            if (Find(frame) is { } encoded)
            {
                return encoded;
            }

            var png = await Task.Run(() => _encode(rgb, frame.Width, frame.Height), cancellationToken);
            Interlocked.Increment(ref _encoded);
            Keep(frame, png);
            return png;
        }
        finally
        {
            _encodes.Release();
        }
    }

    public void Dispose() => _encodes.Dispose();

    private byte[]? Find(LiveFrame frame)
    {
        lock (_gate)
        {
            foreach (var (sessionId, sequence, png) in _kept)
            {
                if (sequence == frame.Sequence && string.Equals(sessionId, frame.SessionId, StringComparison.Ordinal))
                {
                    return png;
                }
            }

            return null;
        }
    }

    private void Keep(LiveFrame frame, byte[] png)
    {
        lock (_gate)
        {
            _kept.AddFirst((frame.SessionId, frame.Sequence, png));
            if (_kept.Count > Kept)
            {
                _kept.RemoveLast();
            }
        }
    }
}
