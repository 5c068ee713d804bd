using NitroLive.Web.Live;

namespace NitroLive.Web.Components.Services;

/// <summary>
/// What the HUD shows: frames per second over a short window, and where the time of the newest frame went, from
/// the keystroke that asked for it to the moment the browser painted it.
/// </summary>
public sealed class FrameStats
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    private readonly TimeProvider _time;
    private readonly Queue<long> _shown = new();
    private readonly Dictionary<long, long> _sentAt = [];
    private readonly Queue<long> _sentOrder = new();

    /// <summary>Creates the statistics.</summary>
    /// <param name="time">The clock.</param>
    public FrameStats(TimeProvider time) => _time = time;

    /// <summary>The newest frame shown.</summary>
    public LiveFrame? Last { get; private set; }

    /// <summary>
    /// Keystroke (request accepted) to painted, in ms; null when this browser did not send the request. For a draft's
    /// full-step picture, the draft's figure: the keystroke was answered then, and the picture after it waited for a
    /// pause in typing on purpose (<see cref="EndToEndIsTheDrafts"/>).
    /// </summary>
    public double? LastEndToEndMs { get; private set; }

    /// <summary>Whether <see cref="LastEndToEndMs"/> is the draft's that the newest frame (its full picture) followed.</summary>
    public bool EndToEndIsTheDrafts { get; private set; }

    /// <summary>Server-side time of the newest frame, request accepted to encoded, in ms.</summary>
    public double? LastServerMs => Last?.Timings.TotalMs;

    /// <summary>From handing the frame to the browser to the browser having drawn it (transfer, decode, draw), in ms.</summary>
    public double? LastDeliveryMs { get; private set; }

    /// <summary>Bytes of the newest frame.</summary>
    public int LastBytes => Last?.Image.Length ?? 0;

    /// <summary>Frames shown per second over the last two seconds.</summary>
    public double Fps
    {
        get
        {
            Trim(_time.GetTimestamp());
            if (_shown.Count < 2)
            {
                return _shown.Count;
            }

            var span = _time.GetElapsedTime(_shown.Peek(), _shown.Last()).TotalSeconds;
            return span <= 0 ? 0 : (_shown.Count - 1) / span;
        }
    }

    /// <summary>Remembers when this browser's request was accepted, to measure its end-to-end latency.</summary>
    public void RequestSent(long requestId)
    {
        if (_sentAt.TryAdd(requestId, _time.GetTimestamp()))
        {
            _sentOrder.Enqueue(requestId);
        }

        // Bounded: only the newest requests can still get a frame (the server is latest-wins).
        while (_sentOrder.Count > 64)
        {
            _sentAt.Remove(_sentOrder.Dequeue());
        }
    }

    /// <summary>Records a frame the browser has just painted.</summary>
    public void FrameShown(LiveFrame frame, double deliveryMs)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var now = _time.GetTimestamp();
        EndToEndIsTheDrafts = Last is { IsDraft: true } draft && draft.RequestId == frame.RequestId && !frame.IsDraft;
        Last = frame;
        LastDeliveryMs = deliveryMs;
        if (!EndToEndIsTheDrafts)
        {
            LastEndToEndMs = _sentAt.TryGetValue(frame.RequestId, out var sent)
                ? _time.GetElapsedTime(sent, now).TotalMilliseconds
                : null;
        }
        _shown.Enqueue(now);
        Trim(now);
    }

    private void Trim(long now)
    {
        while (_shown.Count > 0 && _time.GetElapsedTime(_shown.Peek(), now) > Window)
        {
            _shown.Dequeue();
        }
    }
}
