using System.Threading.Channels;

namespace NitroLive.Web.Live;

/// <summary>
/// A membership: two latest-wins mailboxes (frame, snapshot) of capacity 1 that drop the older item, so a member that
/// does not read costs one frame of memory, whatever the frame rate.
/// </summary>
internal sealed class LiveMember : ILiveMember
{
    private static readonly BoundedChannelOptions MailboxOptions = new(1)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
        SingleWriter = false,
        AllowSynchronousContinuations = false,
    };

    private readonly LiveSession _session;
    private readonly Channel<LiveFrame> _frames = Channel.CreateBounded<LiveFrame>(MailboxOptions);
    private readonly Channel<LiveSessionState> _states = Channel.CreateBounded<LiveSessionState>(MailboxOptions);
    private long _lastFrameSequence;
    private long _lastStateVersion = -1;
    private long _skippedFrames;
    private int _closed;
    private int _streaming;
    private int _streamingStates;

    public LiveMember(LiveSession session, string memberId, string displayName, LiveRole role, string? ownerToken, string? guestKey = null)
    {
        _session = session;
        MemberId = memberId;
        DisplayName = displayName;
        Role = role;
        OwnerToken = ownerToken;
        GuestKey = guestKey;
        PersonId = memberId;
    }

    public string SessionId => _session.Id;

    public string MemberId { get; }

    /// <summary>Written only under the session's lock.</summary>
    public string DisplayName { get; set; }

    /// <summary>Written only under the session's lock.</summary>
    public LiveRole Role { get; set; }

    public string? OwnerToken { get; }

    public string? GuestKey { get; }

    /// <summary>
    /// The person this page is one of: a guest's pages with one key share the first page's id (see
    /// <see cref="LiveMemberInfo.PersonId"/>); any other page is a person of its own.
    /// </summary>
    public string PersonId { get; init; }

    /// <summary>A screen showing the session (see <see cref="LiveMemberInfo.IsDisplay"/>).</summary>
    public bool IsDisplay { get; init; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public LiveSessionState State => _session.State;

    public LiveFrame? LatestFrame => _session.LatestFrame;

    public ChannelReader<LiveFrame> Frames => _frames.Reader;

    public ChannelReader<LiveSessionState> States => _states.Reader;

    /// <summary>Frames this member never saw because a newer one replaced them in its mailbox.</summary>
    public long SkippedFrames => Interlocked.Read(ref _skippedFrames);

    /// <summary>Frames waiting in the mailbox: never more than one.</summary>
    public int PendingFrames => _frames.Reader.Count;

    internal LiveSession Session => _session;

    public LiveRequestAccepted UpdateRequest(LiveRequestPatch patch) => _session.Accept(this, patch);

    public LiveRequestAccepted SetPrompt(string prompt) => AcceptPrompt(prompt, typing: true);

    public LiveRequestAccepted ShowPrompt(string prompt) => AcceptPrompt(prompt, typing: false);

    public LiveRequestAccepted ShowRequest(LiveRequestPatch patch) => _session.Accept(this, patch, typing: false);

    public LiveRequestAccepted Reroll() => _session.Accept(this, new LiveRequestPatch(), reroll: true);

    public void GrantTyping(string memberId) => _session.SetRole(this, memberId, LiveRole.Typist);

    public void RevokeTyping(string memberId) => _session.SetRole(this, memberId, LiveRole.Viewer);

    public void SetTypingOpen(bool open) => _session.SetTypingOpen(this, open);

    public string Rename(string displayName) => _session.Rename(this, displayName);

    public async Task<byte[]> EncodePngAsync(long? sequence, CancellationToken cancellationToken) =>
        (await _session.FullQualityPngAsync(this, sequence, cancellationToken)).Png;

    /// <summary>Marks the frame mailbox as read by one consumer (the hub allows one frame stream per membership).</summary>
    public bool TryBeginStreaming() => Interlocked.CompareExchange(ref _streaming, 1, 0) == 0;

    public void EndStreaming() => Volatile.Write(ref _streaming, 0);

    /// <summary>
    /// Marks the state mailbox as read by one consumer: two readers of one capacity-1 mailbox would each miss snapshots
    /// (the closing one too), and a connection could otherwise open streams without limit.
    /// </summary>
    public bool TryBeginStreamingStates() => Interlocked.CompareExchange(ref _streamingStates, 1, 0) == 0;

    public void EndStreamingStates() => Volatile.Write(ref _streamingStates, 0);

    public ValueTask DisposeAsync()
    {
        Leave();
        return ValueTask.CompletedTask;
    }

    internal void Leave()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _session.Leave(this);
        }
    }

    /// <summary>Called under the session's lock, in publishing order; true when it replaced a frame the member had not read.</summary>
    internal bool Offer(LiveFrame frame)
    {
        if (frame.Sequence <= _lastFrameSequence)
        {
            return false;
        }

        _lastFrameSequence = frame.Sequence;
        var skipped = _frames.Reader.Count > 0;
        if (skipped)
        {
            Interlocked.Increment(ref _skippedFrames);
        }

        _frames.Writer.TryWrite(frame);
        return skipped;
    }

    /// <summary>Called under the session's lock, in version order.</summary>
    internal void OfferState(LiveSessionState state)
    {
        if (state.Version <= _lastStateVersion)
        {
            return;
        }

        _lastStateVersion = state.Version;
        _states.Writer.TryWrite(state);
    }

    internal void Complete(Exception? error)
    {
        Volatile.Write(ref _closed, 1);
        _frames.Writer.TryComplete(error);
        _states.Writer.TryComplete(error);
    }

    private LiveRequestAccepted AcceptPrompt(string prompt, bool typing)
    {
        if (prompt is null)
        {
            throw new LiveException(LiveErrorCode.InvalidArgument, "The prompt is missing.");
        }

        return _session.Accept(this, new LiveRequestPatch(Prompt: prompt), typing: typing);
    }
}
