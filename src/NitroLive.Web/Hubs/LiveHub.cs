using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using NitroLive.Web.Live;

namespace NitroLive.Web.Hubs;

/// <summary>
/// The public hub at <c>/hubs/live</c> (documented in docs/hub-protocol.md). Thin: it validates arguments, maps them to
/// <see cref="ILiveService"/> and keeps the memberships of each connection, which end when the connection does.
/// Refusals reach the client as <see cref="HubException"/> with the message "code: sentence".
/// </summary>
internal sealed class LiveHub : Hub
{
    /// <summary>The path the hub is mapped at.</summary>
    public const string Path = LiveHubContract.Path;

    private static readonly object MembershipsKey = new();
    private static readonly object CreatedKey = new();

    private readonly ILiveService _live;
    private readonly LiveReadiness _readiness;
    private readonly int _maxMemberships;
    private readonly ILogger<LiveHub> _logger;

    public LiveHub(ILiveService live, LiveReadiness readiness, IOptions<LiveOptions> options, ILogger<LiveHub> logger)
    {
        _live = live;
        _readiness = readiness;
        _maxMemberships = options.Value.MaxSessionsPerConnection;
        _logger = logger;
    }

    /// <summary>The model, limits and suggested debounce.</summary>
    public ServerInfoMessage GetServerInfo() => _live.ToServerInfo(_readiness.Current.Provider ?? _live.Model.Provider);

    /// <summary>Creates a session with the caller as owner.</summary>
    /// <param name="options">Owner name, first request and typing policy; null for defaults.</param>
    public JoinedMessage CreateSession(CreateSessionMessage? options)
    {
        CheckRoomForAMembership();
        CheckRoomForASession();
        var member = _live.CreateSession(new CreateSessionOptions(
            options?.DisplayName,
            options?.Initial?.ToPatch(),
            options?.TypingOpen ?? true));
        Created.Add(member.SessionId);
        Remember(member);
        return member.ToJoinedMessage();
    }

    /// <summary>Joins a session as viewer, typist or (with the owner token) owner.</summary>
    /// <param name="join">Session id, role, name and owner token.</param>
    public JoinedMessage JoinSession(JoinSessionMessage join)
    {
        if (join is null)
        {
            throw new LiveException(LiveErrorCode.InvalidArgument, "The join arguments are missing.");
        }

        if (join.SessionId is { } existing && Memberships.ContainsKey(existing))
        {
            throw new LiveException(LiveErrorCode.InvalidArgument, "This connection is already a member of that session; leave it first.");
        }

        CheckRoomForAMembership();
        var member = _live.JoinSession(join.SessionId!, LiveHubMapping.ParseRole(join.Role), join.DisplayName, join.OwnerToken, join.GuestKey);
        Remember(member);
        return member.ToJoinedMessage();
    }

    /// <summary>Changes the session's request (typists and the owner).</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="patch">Fields to change.</param>
    public RequestAcceptedMessage UpdateRequest(string sessionId, RequestPatchMessage patch) =>
        Member(sessionId).UpdateRequest(patch.ToPatch()).ToMessage();

    /// <summary>
    /// Changes the request to one chosen whole, not typed (typists and the owner): its picture is drawn in full at once,
    /// without a draft first.
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="patch">Fields to change.</param>
    public RequestAcceptedMessage ShowRequest(string sessionId, RequestPatchMessage patch) =>
        Member(sessionId).ShowRequest(patch.ToPatch()).ToMessage();

    /// <summary>Changes only the prompt (typists and the owner).</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="prompt">The new prompt.</param>
    public RequestAcceptedMessage SetPrompt(string sessionId, string prompt) => Member(sessionId).SetPrompt(prompt).ToMessage();

    /// <summary>New random fixed seed for the same prompt (typists and the owner).</summary>
    /// <param name="sessionId">The session.</param>
    public RequestAcceptedMessage Reroll(string sessionId) => Member(sessionId).Reroll().ToMessage();

    /// <summary>Owner only: lets a member type.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="memberId">The member.</param>
    public void GrantTyping(string sessionId, string memberId) => Member(sessionId).GrantTyping(memberId);

    /// <summary>Owner only: stops a member typing.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="memberId">The member.</param>
    public void RevokeTyping(string sessionId, string memberId) => Member(sessionId).RevokeTyping(memberId);

    /// <summary>Owner only: whether new members may join as typists.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="open">True to open typing.</param>
    public void SetTypingOpen(string sessionId, bool open) => Member(sessionId).SetTypingOpen(open);

    /// <summary>Changes this connection's name in the session (and that of the guest's other connections with one key).</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="displayName">The new name.</param>
    /// <returns>The name as the session keeps it.</returns>
    public string Rename(string sessionId, string displayName) => Member(sessionId).Rename(displayName);

    /// <summary>The session's current state.</summary>
    /// <param name="sessionId">The session.</param>
    public SessionStateMessage GetState(string sessionId) => Member(sessionId).State.ToMessage();

    /// <summary>The newest frame (or frame <paramref name="sequence"/> while it is the newest) as a full-quality PNG.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="sequence">The frame's sequence, or 0 for the newest.</param>
    public Task<byte[]> DownloadPng(string sessionId, long sequence) =>
        Member(sessionId).EncodePngAsync(sequence == 0 ? null : sequence, Context.ConnectionAborted);

    /// <summary>Leaves a session.</summary>
    /// <param name="sessionId">The session.</param>
    public async Task LeaveSession(string sessionId)
    {
        if (Memberships.TryRemove(sessionId ?? string.Empty, out var member))
        {
            await member.DisposeAsync();
            return;
        }

        throw new LiveException(LiveErrorCode.NotAMember, "This connection is not a member of that session.");
    }

    /// <summary>
    /// Streams the session's frames, newest only: a client that reads slowly skips frames, nothing queues up.
    /// Starts with the newest frame if there is one; completes when the member leaves or the session ends.
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="cancellationToken">Ends the stream (client cancel or disconnect).</param>
    public IAsyncEnumerable<FrameMessage> Frames(string sessionId, CancellationToken cancellationToken)
    {
        var member = Member(sessionId);
        if (!member.TryBeginStreaming())
        {
            throw new LiveException(LiveErrorCode.AlreadyStreaming, "This membership already has a frame stream.");
        }

        return StreamFrames(member, cancellationToken);
    }

    /// <summary>Streams session snapshots, newest only, starting with the current one.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="cancellationToken">Ends the stream (client cancel or disconnect).</param>
    public IAsyncEnumerable<SessionStateMessage> States(string sessionId, CancellationToken cancellationToken)
    {
        var member = Member(sessionId);
        if (!member.TryBeginStreamingStates())
        {
            throw new LiveException(LiveErrorCode.AlreadyStreaming, "This membership already has a state stream.");
        }

        return StreamStates(member, cancellationToken);
    }

    /// <inheritdoc />
    public override Task OnConnectedAsync()
    {
        Context.Items[MembershipsKey] = new ConcurrentDictionary<string, LiveMember>(StringComparer.Ordinal);
        Context.Items[CreatedKey] = new List<string>();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.TryGetValue(MembershipsKey, out var value) && value is ConcurrentDictionary<string, LiveMember> memberships)
        {
            var left = 0;
            foreach (var sessionId in memberships.Keys)
            {
                if (memberships.TryRemove(sessionId, out var member))
                {
                    await member.DisposeAsync();
                    left++;
                }
            }

            LiveLog.HubDisconnected(_logger, Context.ConnectionId, left);
        }
    }

    private ConcurrentDictionary<string, LiveMember> Memberships =>
        (ConcurrentDictionary<string, LiveMember>)Context.Items[MembershipsKey]!;

    // Sessions this connection created that are still open, whether or not it is still in them.
    private List<string> Created => (List<string>)Context.Items[CreatedKey]!;

    private void CheckRoomForASession()
    {
        // A session its owner left stays open for EmptySessionGraceSeconds, so counting memberships alone would let
        // create-and-leave fill the server: what counts is the sessions created here that have not ended.
        var created = Created;
        if (created.Count >= _maxMemberships)
        {
            created.RemoveAll(id => _live.GetSessionState(id) is not { IsClosed: false });
        }

        if (created.Count >= _maxMemberships)
        {
            throw new LiveException(LiveErrorCode.TooManyMemberships,
                $"This connection created {_maxMemberships} sessions that are still open, its limit (a session its owner left " +
                "stays open a while for the owner to come back); try again later.");
        }
    }

    private void CheckRoomForAMembership()
    {
        var memberships = Memberships;
        if (memberships.Count < _maxMemberships)
        {
            return;
        }

        // Sessions that ended still count until the connection next touches them: forget those first.
        foreach (var (sessionId, member) in memberships)
        {
            if (member.IsClosed)
            {
                memberships.TryRemove(sessionId, out _);
            }
        }

        if (memberships.Count >= _maxMemberships)
        {
            throw new LiveException(LiveErrorCode.TooManyMemberships,
                $"This connection is a member of {_maxMemberships} sessions already, its limit; leave one first.");
        }
    }

    private void Remember(ILiveMember member)
    {
        var concrete = (LiveMember)member;
        if (!Memberships.TryAdd(member.SessionId, concrete))
        {
            concrete.Leave();
            throw new LiveException(LiveErrorCode.InvalidArgument, "This connection is already a member of that session; leave it first.");
        }
    }

    private LiveMember Member(string? sessionId)
    {
        if (sessionId is not null && Memberships.TryGetValue(sessionId, out var member))
        {
            if (member.IsClosed)
            {
                Memberships.TryRemove(sessionId, out _);
                throw new LiveException(LiveErrorCode.UnknownSession, "The session has ended.");
            }

            return member;
        }

        if (!LiveIds.IsWellFormed(sessionId) || _live.GetSessionState(sessionId!) is null)
        {
            throw new LiveException(LiveErrorCode.UnknownSession, "No session has that id; it may have ended.");
        }

        throw new LiveException(LiveErrorCode.NotAMember, "This connection is not a member of that session; join it first.");
    }

    private static async IAsyncEnumerable<FrameMessage> StreamFrames(LiveMember member, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            // A stream opened again (a hidden tab, a player restarted) starts with the picture on screen now, not at the
            // session's next change, which on an idle kiosk may never come; the mailbox may hold that same frame.
            var frames = member.Frames;
            var lastSequence = 0L;
            var first = member.LatestFrame;

            // The mailbox is emptied first (the newer of the two goes out): a frame left in it during the send would
            // count as dropped when the next one replaced it, though the client got it.
            if (frames.TryRead(out var held) && (first is null || held.Sequence >= first.Sequence))
            {
                first = held;
            }

            if (first is not null)
            {
                lastSequence = first.Sequence;
                yield return first.ToMessage();
            }

            while (await frames.WaitToReadAsync(cancellationToken))
            {
                // Take the frame only when the transport is ready for it: while the previous send is blocked on a slow
                // client, newer frames replace each other in the member's one-slot mailbox.
                if (frames.TryRead(out var frame) && frame.Sequence > lastSequence)
                {
                    lastSequence = frame.Sequence;
                    yield return frame.ToMessage();
                }
            }
        }
        finally
        {
            member.EndStreaming();
        }
    }

    private static async IAsyncEnumerable<SessionStateMessage> StreamStates(LiveMember member, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            var states = member.States;
            var lastVersion = -1L;
            var current = member.State;
            if (!current.IsClosed)
            {
                lastVersion = current.Version;
                yield return current.ToMessage();
            }

            while (await states.WaitToReadAsync(cancellationToken))
            {
                if (states.TryRead(out var state) && state.Version > lastVersion)
                {
                    lastVersion = state.Version;
                    yield return state.ToMessage();
                }
            }
        }
        finally
        {
            member.EndStreamingStates();
        }
    }
}
