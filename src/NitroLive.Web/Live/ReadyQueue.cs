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

    // One count per queued session, so that each of several generate stages waiting here wakes for a session of its
    // own (an auto-reset event would drop the second signal and leave a stage asleep beside a waiting session).
    // TakeWhere takes back the counts of the sessions it removes; a count left over by a race (a session taken between
    // its enqueue and its release) costs a waiter one empty look, so the count stays at the queue's length or just above.
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

        // Without a waiter holding it already, each removed session's count goes too: under constant load the queue
        // never empties, and counts left behind would pile up with every batch.
        for (var i = 0; i < taken.Count; i++)
        {
            if (!_signal.Wait(0))
            {
                break;
            }
        }

        return taken;
    }
}
