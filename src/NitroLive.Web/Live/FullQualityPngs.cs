namespace NitroLive.Web.Live;

/// <summary>
/// Full-quality PNGs of sessions' newest frames, for downloads (the studio's button, the hub's <c>DownloadPng</c>, the
/// HTTP endpoint). A PNG of a 1024x1024 frame takes tens of milliseconds of a core, and kiosk ids are public (their QR
/// code is on screen): so only a few encodes run at once server-wide, callers asking for the same frame share one
/// encode, the last few PNGs are kept (asking again for a frame already encoded costs nothing), and at most a bounded
/// number of frames wait for the encoder: past that a download is refused (<see cref="LiveErrorCode.Busy"/>) rather
/// than queued, since every waiting frame holds a copy of its pixels and the per-address limits do not bound how many
/// addresses ask at once. A frame's pixels are copied before it waits for its turn: the frame asked for is the one a
/// caller gets, even when a newer one arrives meanwhile.
/// </summary>
internal sealed class FullQualityPngs : IDisposable
{
    /// <summary>Frames waiting for the encoder or being encoded, server-wide, unless configured otherwise.</summary>
    public const int DefaultMaxPending = 8;

    /// <summary>PNGs kept: a frame everyone downloads at once (a demo's picture) is encoded once.</summary>
    private const int Kept = 4;

    private readonly SemaphoreSlim _encodes;
    private readonly int _maxPending;
    private readonly Func<byte[], int, int, byte[]> _encode;
    private readonly Lock _gate = new();
    private readonly LinkedList<(string SessionId, long Sequence, byte[] Png)> _kept = new();
    private readonly Dictionary<(string SessionId, long Sequence), Task<byte[]>> _pending = [];
    private int _encoded;

    /// <summary>
    /// At most <paramref name="concurrentEncodes"/> PNGs are encoded at once, by <paramref name="encode"/> (RGB, width,
    /// height; tests), and at most <paramref name="maxPending"/> frames wait or are encoded.
    /// </summary>
    public FullQualityPngs(int concurrentEncodes, Func<byte[], int, int, byte[]>? encode = null, int maxPending = DefaultMaxPending)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrentEncodes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPending, 1);
        _encodes = new SemaphoreSlim(concurrentEncodes, concurrentEncodes);
        _maxPending = maxPending;
        _encode = encode ?? FrameEncoder.EncodePng;
    }

    /// <summary>PNGs encoded so far (for tests).</summary>
    internal int Encoded => Volatile.Read(ref _encoded);

    /// <summary>One encode at a time per four cores (at least one), so downloads never take every core from generation.</summary>
    public static int DefaultConcurrency => Math.Max(1, Environment.ProcessorCount / 4);

    /// <summary>
    /// The PNG of <paramref name="frame"/>: kept, being encoded for another caller, or encoded from what
    /// <paramref name="copyPixels"/> gives. Cancelling stops this caller's wait, not an encode others may share.
    /// </summary>
    /// <exception cref="LiveException"><see cref="LiveErrorCode.Busy"/>: too many frames wait for the encoder already.</exception>
    public async Task<byte[]> GetAsync(LiveFrame frame, Func<byte[]> copyPixels, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var key = (frame.SessionId, frame.Sequence);
        Task<byte[]>? png;
        lock (_gate)
        {
            png = FindLocked(key);
        }

        if (png is null)
        {
            // Copied outside the lock (a frame is megabytes); a caller that started the same frame meanwhile wins.
            var rgb = copyPixels();
            lock (_gate)
            {
                png = FindLocked(key) ?? StartLocked(key, rgb, frame.Width, frame.Height);
            }
        }

        return await png.WaitAsync(cancellationToken);
    }

    public void Dispose() => _encodes.Dispose();

    private Task<byte[]>? FindLocked((string SessionId, long Sequence) key)
    {
        foreach (var (sessionId, sequence, png) in _kept)
        {
            if (sequence == key.Sequence && string.Equals(sessionId, key.SessionId, StringComparison.Ordinal))
            {
                return Task.FromResult(png);
            }
        }

        if (_pending.TryGetValue(key, out var pending))
        {
            return pending;
        }

        return _pending.Count < _maxPending
            ? null
            : throw new LiveException(
                LiveErrorCode.Busy,
                $"{_maxPending} full-quality pictures are being made for downloads already; try again in a moment.");
    }

    private Task<byte[]> StartLocked((string SessionId, long Sequence) key, byte[] rgb, int width, int height)
    {
        // Its removal from the table takes this lock, so it waits for this add; one that finished already (this
        // thread ran it to the end) has removed nothing and is kept.
        var encode = EncodeAsync(key, rgb, width, height);
        if (!encode.IsCompleted)
        {
            _pending.Add(key, encode);
        }

        return encode;
    }

    // Shared by every caller of the frame, so no one caller's cancellation stops it; the table's bound is what limits
    // how many wait.
    private async Task<byte[]> EncodeAsync((string SessionId, long Sequence) key, byte[] rgb, int width, int height)
    {
        byte[]? png = null;
        await _encodes.WaitAsync(CancellationToken.None);
        try
        {
            png = await Task.Run(() => _encode(rgb, width, height), CancellationToken.None);
            Interlocked.Increment(ref _encoded);
            return png;
        }
        finally
        {
            _encodes.Release();
            lock (_gate)
            {
                _pending.Remove(key);
                if (png is not null)
                {
                    _kept.AddFirst((key.SessionId, key.Sequence, png));
                    if (_kept.Count > Kept)
                    {
                        _kept.RemoveLast();
                    }
                }
            }
        }
    }
}
