namespace NitroLive.Web.Live;

/// <summary>
/// Sessions that have a pending request, in the order they became pending. Each session is in it at most once
/// (the session's queued flag guards that), so it never holds more than the number of sessions: taking from the front
/// and re-entering at the back after being served is the round-robin.
/// </summary>
internal sealed class ReadyQueue : IDisposable
{
    private readonly Lock _gate = new();
    private readonly LinkedList<LiveSession> _queue = new();

    // One count per enqueue, so that each of several generate stages waiting here wakes for a session of its own (an
    // auto-reset event would drop the second signal and leave a stage asleep beside a waiting session). Sessions taken
    // by TakeWhere leave their counts behind: a waiter uses each up in one empty look. The count is bounded by the
    // number of sessions that can be queued plus those takes, never by the rate of requests.
    private readonly SemaphoreSlim _signal = new(0);

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

        _signal.Release();
    }

    public async ValueTask<LiveSession> DequeueAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _signal.WaitAsync(cancellationToken);
            lock (_gate)
            {
                if (_queue.First is { } first)
                {
                    _queue.RemoveFirst();
                    return first.Value;
                }
            }
        }
    }

    public void Dispose() => _signal.Dispose();

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
