namespace NitroLive.Web.Live;

/// <summary>
/// Full-quality PNGs of sessions' newest frames, for downloads (the studio's button, the hub's <c>DownloadPng</c>, the
/// HTTP endpoint). A PNG of a 1024x1024 frame takes tens of milliseconds of a core, and kiosk ids are public (their QR
/// code is on screen): so only a few encodes run at once server-wide, each waiting caller holds no pixels until its
/// turn, and the last few PNGs are kept, so asking again for a frame already encoded costs nothing.
/// </summary>
internal sealed class FullQualityPngs : IDisposable
{
    /// <summary>PNGs kept: a frame everyone downloads at once (a demo's picture) is encoded once.</summary>
    private const int Kept = 4;

    private readonly SemaphoreSlim _encodes;
    private readonly Lock _gate = new();
    private readonly LinkedList<(string SessionId, long Sequence, byte[] Png)> _kept = new();
    private int _encoded;

    /// <summary>At most <paramref name="concurrentEncodes"/> PNGs are encoded at once.</summary>
    public FullQualityPngs(int concurrentEncodes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrentEncodes, 1);
        _encodes = new SemaphoreSlim(concurrentEncodes, concurrentEncodes);
    }

    /// <summary>PNGs encoded so far (for tests).</summary>
    internal int Encoded => Volatile.Read(ref _encoded);

    /// <summary>One encode at a time per four cores (at least one), so downloads never take every core from generation.</summary>
    public static int DefaultConcurrency => Math.Max(1, Environment.ProcessorCount / 4);

    /// <summary>
    /// The PNG of <paramref name="frame"/> if kept, else the PNG of what <paramref name="take"/> gives once an encode slot
    /// is free (the frame and a copy of its pixels, read only then: the newest frame may have moved on meanwhile).
    /// </summary>
    public async Task<(LiveFrame Frame, byte[] Png)> GetAsync(LiveFrame frame, Func<(LiveFrame Frame, byte[] Rgb)> take, CancellationToken cancellationToken)
    {
        if (Find(frame) is { } kept)
        {
            return (frame, kept);
        }

        await _encodes.WaitAsync(cancellationToken);
        try
        {
            var (current, rgb) = take();
            if (Find(current) is { } encoded)
            {
                return (current, encoded);
            }

            var png = await Task.Run(() => FrameEncoder.EncodePng(rgb, current.Width, current.Height), cancellationToken);
            Interlocked.Increment(ref _encoded);
            Keep(current, png);
            return (current, png);
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
