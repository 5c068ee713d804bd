using System.Threading.Channels;

namespace NitroLive.Web.Live;

/// <summary>
/// Sessions that have a pending request, in the order they became pending. Each session is in it at most once
/// (the session's queued flag guards that), so it never holds more than the number of sessions: taking from the front
/// and re-entering at the back after being served is the round-robin.
/// </summary>
internal sealed class ReadyQueue
{
    private readonly Lock _gate = new();
    private readonly LinkedList<LiveSession> _queue = new();

    // An auto-reset event: capacity 1, extra signals are dropped because one wake-up drains the queue.
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    public void Enqueue(LiveSession session)
    {
        lock (_gate)
        {
            _queue.AddLast(session);
        }

        _signal.Writer.TryWrite(true);
    }

    public async ValueTask<LiveSession> DequeueAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_queue.First is { } first)
                {
                    _queue.RemoveFirst();
                    return first.Value;
                }
            }

            await _signal.Reader.ReadAsync(cancellationToken);
        }
    }

    /// <summary>Removes and returns up to <paramref name="max"/> queued sessions that match, keeping the others in order.</summary>
    public List<LiveSession> TakeWhere(Func<LiveSession, bool> match, int max)
    {
        var taken = new List<LiveSession>();
        if (max <= 0)
        {
            return taken;
        }

        lock (_gate)
        {
            var node = _queue.First;
            while (node is not null && taken.Count < max)
            {
                var next = node.Next;
                if (match(node.Value))
                {
                    _queue.Remove(node);
                    taken.Add(node.Value);
                }

                node = next;
            }
        }

        return taken;
    }
}
