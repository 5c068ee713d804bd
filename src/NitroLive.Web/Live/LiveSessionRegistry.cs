using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace NitroLive.Web.Live;

/// <summary>Every open session, bounded by <see cref="LiveOptions.MaxSessions"/>.</summary>
internal sealed class LiveSessionRegistry
{
    private readonly ConcurrentDictionary<string, LiveSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _createGate = new();
    private readonly LiveOptions _options;
    private readonly ILogger<LiveSessionRegistry> _logger;

    public LiveSessionRegistry(IOptions<LiveOptions> options, ILogger<LiveSessionRegistry> logger)
    {
        _options = options.Value;
        _logger = logger;
    }

    public int Count => _sessions.Count;

    public LiveSession Add(Func<LiveSession> create)
    {
        // Counting and adding under one lock keeps the bound exact when many sessions are created at once.
        lock (_createGate)
        {
            if (_sessions.Count >= _options.MaxSessions)
            {
                throw new LiveException(
                    LiveErrorCode.TooManySessions,
                    $"The server already holds {_options.MaxSessions} sessions, its limit; try again later.");
            }

            var session = create();
            _sessions[session.Id] = session;
            LiveLog.SessionCreated(_logger, LiveIds.ForLog(session.Id), _sessions.Count);
            return session;
        }
    }

    public LiveSession? Find(string? sessionId) =>
        sessionId is not null && _sessions.TryGetValue(sessionId, out var session) && !session.IsClosed ? session : null;

    public IEnumerable<LiveSession> All => _sessions.Values;

    /// <summary>Called by a session whose last member left.</summary>
    public void OnEmptied(LiveSession session)
    {
        // A member may have joined since the last one left: the session checks that itself, in one step with the close.
        if (_options.EmptySessionGraceSeconds == 0 && session.CloseIfEmptyFor(TimeSpan.Zero))
        {
            Remove(session, "empty");
        }
    }

    /// <summary>Ends sessions that have been empty for longer than the grace period.</summary>
    public void Sweep()
    {
        var grace = TimeSpan.FromSeconds(_options.EmptySessionGraceSeconds);
        foreach (var session in _sessions.Values)
        {
            if (session.CloseIfEmptyFor(grace))
            {
                Remove(session, "empty");
            }
        }
    }

    public void Close(LiveSession session, string reason)
    {
        session.Close();
        Remove(session, reason);
    }

    private void Remove(LiveSession session, string reason)
    {
        if (_sessions.TryRemove(new KeyValuePair<string, LiveSession>(session.Id, session)))
        {
            LiveLog.SessionClosed(_logger, LiveIds.ForLog(session.Id), reason, _sessions.Count);
        }
    }
}
