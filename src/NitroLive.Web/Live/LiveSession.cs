using NitroLive.Core.Pipeline;

namespace NitroLive.Web.Live;

/// <summary>A request the generator has not started yet. Replaced (never queued) when a newer one arrives.</summary>
/// <param name="RequestId">The request's id in its session.</param>
/// <param name="Request">The request.</param>
/// <param name="AcceptedTimestamp">When it was accepted (a <see cref="TimeProvider"/> timestamp).</param>
/// <param name="Key">What makes its picture, when its picture may be reused (see <see cref="LiveRequestRules.KeyOf"/>).</param>
/// <param name="DraftSteps">
/// The steps of a draft (<see cref="LiveRequest.DraftWhileTyping"/>), fewer than the request's; null for its full-step picture.
/// </param>
internal sealed record PendingWork(long RequestId, LiveRequest Request, long AcceptedTimestamp, FrameKey? Key = null, int? DraftSteps = null)
{
    /// <summary>The steps the generator runs: the draft's, or the request's own.</summary>
    public int Steps => DraftSteps ?? Request.Steps;

    /// <summary>Whether this is a draft, whose full-step picture follows once typing pauses.</summary>
    public bool IsDraft => DraftSteps is not null;
}

/// <summary>
/// A request the generation loop has taken, with the token that fires when nobody wants its frame any more (the
/// session emptied or closed) and the one that fires when a newer request of the session supersedes it (never fires
/// when the session's previous run was already cancelled that way: see <see cref="LiveSession.TakePending"/>).
/// </summary>
internal readonly record struct TakenWork(LiveSession Session, PendingWork Work, CancellationToken Interest, CancellationToken Superseded);

/// <summary>
/// One live session: the current request, its members and roles, the latest-request slot the generator takes from,
/// and the newest frame. All state changes happen under one lock and are published to members in the same critical
/// section, so every member sees frames and snapshots in order.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Reliability",
    "CA1001:Types that own disposable fields should be disposable",
    Justification = "The interest source is handed to the generation loop, which may register on its token after the session ends; it owns no timer, so the GC reclaims it. The refine timer is disposed by Close.")]
internal sealed class LiveSession
{
    private readonly Lock _gate = new();
    private readonly LiveRequestRules _rules;
    private readonly ReadyQueue _ready;
    private readonly LiveStats _stats;
    private readonly TimeProvider _time;
    private const string DefaultOwnerName = "Host";

    // "Host" as names are compared (see NameClashLocked).
    private static readonly string DefaultOwnerKey = DisplayNames.LookAlikeKey(DefaultOwnerName);
    private readonly int _maxMembers;
    private readonly string _ownerToken;
    private string? _ownerName;
    private readonly List<LiveMember> _members = [];
    private readonly Action<LiveSession> _onEmptied;
    private readonly bool _cancelSupersededRuns;
    private readonly bool _applyBlocklist;
    private readonly FrameCache? _frames;
    private readonly FullQualityPngs _pngs;
    private readonly TimeSpan _refineAfter;

    private LiveRequest _request;
    private FrameKey? _requestKey;
    private long _requestId;
    private long _version;
    private bool _typingOpen;
    private string? _lastError;
    private long _lastErrorRequestId;
    private bool _closed;
    private long _lastPublishedRequestId;
    private long _sequence;
    private LiveFrame? _latestFrame;
    private FrameKey? _latestFrameKey;
    private bool _latestFrameIsDraft;

    // Drafts while typing: the request whose full-step picture is due once typing pauses (0 for none), and the timer
    // that waits for the pause, restarted by every draft.
    private long _refineRequestId;
    private ITimer? _refineTimer;

    // The newest frame's pixels for full-quality downloads (its size is the frame's), copied into one buffer the session
    // keeps (reused from frame to frame), so that nothing holds the generator's array once the frame is encoded and the
    // generation loop can hand it back to the pool. Held until the next frame instead, it lived long enough to be
    // promoted and a busy server's old generation filled with dead pixels (the 32-client soak, docs/performance.md).
    private byte[]? _latestPixels;
    private CancellationTokenSource _interest = new();
    private long _emptySince;

    // The taken request's supersede signal (null when none is out or it may not be cancelled), and whether the
    // session's last run ended cancelled by it: then the next run must finish, so fast typing still shows frames.
    private CancellationTokenSource? _supersede;
    private bool _lastRunSuperseded;

    // The member whose change set the current prompt: the page names them to the others in a shared session.
    private string? _promptBy;

    // Guests who left, by the key their browser keeps (ILiveMember.GuestKey): one who comes back (a reload) is the same
    // person, with the name the others knew and the role they left with, so a typist the owner chose keeps typing and
    // one the owner stopped stays stopped. At most ReturningPerMember times the member limit, the oldest forgotten.
    private const int ReturningPerMember = 4;
    private readonly Dictionary<string, (string Name, LiveRole Role, long LeftAt)> _returning = new(StringComparer.Ordinal);

    // The latest-request slot: written under the lock, read without it when the loop peeks at shapes for batching.
    private PendingWork? _pending;
    private bool _queued;

    public LiveSession(string id, string ownerToken, LiveRequest request, bool typingOpen, LiveRequestRules rules, ReadyQueue ready, LiveStats stats, TimeProvider time, int maxMembers, Action<LiveSession> onEmptied, FullQualityPngs pngs, bool cancelSupersededRuns = true, bool applyBlocklist = false, FrameCache? frames = null, TimeSpan? refineAfter = null)
    {
        _pngs = pngs;
        _frames = frames;
        _refineAfter = refineAfter ?? TimeSpan.FromMilliseconds(300);
        _applyBlocklist = applyBlocklist;
        _cancelSupersededRuns = cancelSupersededRuns;
        _onEmptied = onEmptied;
        Id = id;
        _ownerToken = ownerToken;
        _request = request;
        _typingOpen = typingOpen;
        _rules = rules;
        _ready = ready;
        _stats = stats;
        _time = time;
        _maxMembers = maxMembers;
        _emptySince = time.GetTimestamp();
    }

    public string Id { get; }

    /// <summary>The owner's secret; handed out only to the creator's membership and to owners who rejoin with it.</summary>
    public string OwnerToken => _ownerToken;

    public bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    public int MemberCount
    {
        get
        {
            lock (_gate)
            {
                return _members.Count;
            }
        }
    }

    /// <summary>The request waiting for the generator, if any; read without the lock for batching decisions only.</summary>
    public PendingWork? PeekPending() => Volatile.Read(ref _pending);

    public LiveSessionState State
    {
        get
        {
            lock (_gate)
            {
                return BuildStateLocked();
            }
        }
    }

    public LiveFrame? LatestFrame
    {
        get
        {
            lock (_gate)
            {
                return _latestFrame;
            }
        }
    }

    /// <summary>Frames waiting in, and frames skipped by, each member's mailbox (diagnostics and tests).</summary>
    public IReadOnlyList<(int Pending, long Skipped)> MailboxStats()
    {
        lock (_gate)
        {
            return _members.Select(m => (m.PendingFrames, m.SkippedFrames)).ToArray();
        }
    }

    /// <summary>
    /// Ends the session if nobody has been in it for <paramref name="grace"/>; true when it ended here. The check and
    /// the close are one step, so a member who joins in between keeps the session.
    /// </summary>
    public bool CloseIfEmptyFor(TimeSpan grace) => TryClose(grace);

    public LiveMember Join(LiveRole role, string? displayName, string? ownerToken, string? guestKey = null, bool display = false)
    {
        if (!Enum.IsDefined(role))
        {
            throw new LiveException(LiveErrorCode.InvalidArgument, $"Unknown role {(int)role}.");
        }

        // Every key the session gives out is well formed: anything else is a key it does not know, not one to look up.
        if (!LiveIds.IsWellFormed(guestKey))
        {
            guestKey = null;
        }

        var memberId = LiveIds.NewId();

        // A name a kiosk's session would refuse in a rename is not worth refusing the join for: the guest gets the name
        // they would have had without one.
        var given = DisplayNames.Clean(displayName);
        if (_applyBlocklist && _rules.IsBlocked(given))
        {
            given = string.Empty;
        }

        var name = given.Length == 0 ? DisplayNames.Generated(memberId) : given;
        LiveMember member;
        var signal = false;
        lock (_gate)
        {
            if (_closed)
            {
                throw new LiveException(LiveErrorCode.UnknownSession, "The session has ended.");
            }

            if (_members.Count >= _maxMembers)
            {
                throw new LiveException(LiveErrorCode.SessionFull, $"The session already has {_maxMembers} members, its limit.");
            }

            // A guest the session knows (still here on another page, or back within the session's life) is that
            // person again: the role they had, whatever the page asked for, and their name unless they give a new one
            // (not while another page of theirs is here: the list names one person once, by one name).
            // Keys are the session's own: one it does not know gets a fresh key, never the one offered.
            string? key = null;
            string? person = null;
            var returning = false;
            string? knownName = null;
            if (role != LiveRole.Owner)
            {
                if (guestKey is not null && KnownGuestLocked(guestKey) is { } known)
                {
                    key = guestKey;
                    returning = true;
                    role = known.Role;
                    person = known.Here?.PersonId;
                    knownName = known.Name;
                    if (given.Length == 0 || known.Here is not null)
                    {
                        name = known.Name;
                    }

                    _returning.Remove(guestKey);
                }
                else
                {
                    key = LiveIds.NewId();
                }
            }

            switch (role)
            {
                case LiveRole.Owner when !LiveIds.SecretEquals(_ownerToken, ownerToken):
                    throw new LiveException(LiveErrorCode.InvalidOwnerToken, "The owner token does not match this session.");
                case LiveRole.Typist when !_typingOpen && !returning:
                    throw new LiveException(
                        LiveErrorCode.Forbidden,
                        "Typing is closed in this session: join as a viewer and ask the owner to grant typing.");
            }

            if (role == LiveRole.Owner)
            {
                // An owner back with no name of their own (a reload) keeps the one the others knew them by; one who never
                // gave a name is the host, not one more "guest-xxxx" among the guests.
                if (given.Length == 0)
                {
                    name = _ownerName ?? DefaultOwnerName;
                }

                // The first name sticks: "Show on a kiosk" joins as the owner under "Kiosk", and the studio reloaded
                // after it must not take that name.
                if (!display)
                {
                    _ownerName ??= name;
                }
            }

            // A name that is not free here (the owner's, or one somebody else goes by) is not worth refusing the join for:
            // the name the session knew this guest by, else the same with a number, else a generated one.
            name = FreeNameLocked(name, person ?? memberId, role == LiveRole.Owner, knownName, memberId);
            member = new LiveMember(this, memberId, name, role, role == LiveRole.Owner ? _ownerToken : null, key) { PersonId = person ?? memberId, IsDisplay = display };
            if (_members.Count == 0 && _pending is null)
            {
                // The last request may have been abandoned when the session emptied, in full or after its draft (its
                // full-step run cancelled, or due while nobody was there): ask for its full-step picture now.
                var full = new PendingWork(_requestId, _request, _time.GetTimestamp(), _requestKey);
                if (!IsAnsweredLocked(full))
                {
                    _refineRequestId = 0;
                    signal = SetPendingLocked(full);
                }
            }

            _members.Add(member);
            if (_latestFrame is not null)
            {
                member.Offer(_latestFrame);
            }

            _version++;
            BroadcastStateLocked();
        }

        if (signal)
        {
            _ready.Enqueue(this);
        }

        return member;
    }

    /// <summary>Removes a member; an emptied session is reported to the registry, which keeps or ends it.</summary>
    public void Leave(LiveMember member)
    {
        CancellationTokenSource? abandon = null;
        lock (_gate)
        {
            if (!_members.Remove(member))
            {
                return;
            }

            member.Complete(null);
            if (_closed)
            {
                return;
            }

            RememberGuestLocked(member);

            _version++;
            BroadcastStateLocked();
            if (_members.Count > 0)
            {
                return;
            }

            // Nobody is left to see a frame: drop the pending request and cancel a run that only served this session.
            _emptySince = _time.GetTimestamp();
            _pending = null;
            abandon = _interest;
            _interest = new CancellationTokenSource();
        }

        // Outside the lock: cancellation runs the generator's callbacks synchronously.

        abandon.Cancel();
        _onEmptied(this);
    }

    public LiveRequestAccepted Accept(LiveMember actor, LiveRequestPatch? patch, bool reroll = false, bool typing = true)
    {
        bool signal;
        LiveRequestAccepted accepted;
        CancellationTokenSource? supersede;
        lock (_gate)
        {
            EnsureMemberLocked(actor);
            if (actor.Role == LiveRole.Viewer)
            {
                throw new LiveException(LiveErrorCode.Forbidden, "Viewers cannot change the request; ask the owner to grant typing.");
            }

            var next = _rules.Apply(_request, patch, _applyBlocklist);
            if (reroll || next.SeedMode == SeedMode.PerRequest)
            {
                // Per-request mode draws a new seed for every request, the same prompt again included.
                next = next with { Seed = LiveRequestRules.NewSeed() };
            }
            else if (next == _request && _requestId > 0)
            {
                // Nothing changed: the frame (made or coming) of the current request already answers it. But the same
                // prompt shown rather than typed (Enter) while its draft waits for a pause in typing: the pause is now.
                if (!typing && _refineRequestId == _requestId)
                {
                    _refineTimer?.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
                }

                return new LiveRequestAccepted(_requestId, _request);
            }

            // A new prompt with drafts on is drawn quicker first (in fewer steps, or with the model's tiny decoder); the
            // full picture follows once typing pauses. A whole prompt to show (a kiosk's playlist) is not typing.
            var draft = typing && next.DraftWhileTyping && _rules.HasQuickerDraft(next) && !string.Equals(next.Prompt, _request.Prompt, StringComparison.Ordinal);

            // A picture already made answers at once when a generation would make exactly it: the one on screen (a space
            // typed after a word, letters past CLIP's 75 tokens) or one the frame cache holds (a backspace to a prompt
            // typed a moment ago). The full-step picture first, then a draft's. Looked up before anything changes; the
            // cache copies its pixels into the session's own buffer, which is about to show that picture anyway.
            var key = _rules.KeyOf(next);
            // The draft's key differs from the request's only in its steps and decoder: no second pass of the tokenizers.
            var draftKey = draft ? _rules.DraftKeyOf(next, key) : null;
            var (shown, shownKey) = FindMadeLocked(key);
            if (shown is null && draftKey is not null)
            {
                (shown, shownKey) = FindMadeLocked(draftKey);
            }

            var acceptedAt = _time.GetTimestamp();
            if (!string.Equals(next.Prompt, _request.Prompt, StringComparison.Ordinal))
            {
                _promptBy = actor.MemberId;
            }

            _requestId++;
            _request = next;
            _requestKey = key;
            _version++;
            _refineRequestId = 0;
            accepted = new LiveRequestAccepted(_requestId, next);
            if (shown is not null)
            {
                var isDraft = draftKey is not null && shownKey == draftKey;
                PublishReusedLocked(shown.Value, shownKey, isDraft, acceptedAt);
                if (isDraft)
                {
                    ScheduleRefineLocked();
                }

                // A run still out for an older request is moot: its frame could only be older than this one.
                signal = false;
                supersede = _supersede;
                _supersede = null;
            }
            else
            {
                signal = SetPendingLocked(draft
                    ? new PendingWork(_requestId, next, acceptedAt, draftKey, _rules.DraftSteps)
                    : new PendingWork(_requestId, next, acceptedAt, key));
                if (draft)
                {
                    ScheduleRefineLocked();
                }

                BroadcastStateLocked();

                // Cancel only when the newer request would start at once: with other sessions waiting it would queue
                // behind them anyway, and the cancelled work would be lost for nothing (measured: fewer frames, no gain).
                supersede = _ready.Count == 0 ? _supersede : null;
                if (supersede is not null)
                {
                    _supersede = null;
                }
            }
        }

        // Outside the lock: the generator's cancellation callbacks run synchronously.
        supersede?.Cancel();
        _stats.RequestAccepted();
        if (signal)
        {
            _ready.Enqueue(this);
        }

        return accepted;
    }

    /// <summary>
    /// Takes the newest request for the generator; null when there is none (already taken, superseded or closed).
    /// A newer request cancels the taken one's <see cref="TakenWork.Superseded"/> token when no other session waits for
    /// the generator, unless the session's previous run ended cancelled that way: a run is never superseded twice in a
    /// row, so a typist always sees at least every other frame however fast they type.
    /// </summary>
    public TakenWork? TakePending()
    {
        lock (_gate)
        {
            _queued = false;
            var work = _pending;
            _pending = null;
            if (work is null || _closed || _members.Count == 0)
            {
                return null;
            }

            // No disposal needed: a source without a timer or links holds nothing the GC cannot reclaim.
            _supersede = _cancelSupersededRuns && !_lastRunSuperseded ? new CancellationTokenSource() : null;
            return new TakenWork(this, work, _interest.Token, _supersede?.Token ?? CancellationToken.None);
        }
    }

    /// <summary>The generator finished with taken work: <paramref name="superseded"/> when it was cancelled because a newer request superseded it.</summary>
    public void RunEnded(TakenWork work, bool superseded)
    {
        lock (_gate)
        {
            _lastRunSuperseded = superseded;

            // With parallel generators a newer request of this session may already run elsewhere: its token stays.
            if (_supersede is not null && _supersede.Token == work.Superseded)
            {
                _supersede = null;
            }
        }
    }

    /// <summary>Puts back work taken for a batch it turned out not to fit; dropped if a newer request arrived meanwhile.</summary>
    public void Return(PendingWork work)
    {
        bool signal;
        lock (_gate)
        {
            _supersede = null;
            if (_closed || _pending is not null || IsAnsweredLocked(work))
            {
                return;
            }

            signal = SetPendingLocked(work);
        }

        if (signal)
        {
            _ready.Enqueue(this);
        }
    }

    /// <summary>Whether the session has ended or a frame already answers <paramref name="work"/> (publishing it would be stale).</summary>
    public bool IsAnswered(PendingWork work)
    {
        lock (_gate)
        {
            return _closed || IsAnsweredLocked(work);
        }
    }

    /// <summary>Whether <paramref name="work"/> is still the newest request and somebody is there to see its frame.</summary>
    public bool IsNewest(PendingWork work)
    {
        lock (_gate)
        {
            return !_closed && _members.Count > 0 && _requestId == work.RequestId;
        }
    }

    /// <summary>
    /// Publishes a frame unless a frame of the same or a newer request is already out (a draft's full-step picture
    /// excepted); returns the frame or null.
    /// </summary>
    public LiveFrame? Publish(PendingWork work, GenerationResult result, Func<long, LiveFrame> createFrame)
    {
        lock (_gate)
        {
            if (_closed || IsAnsweredLocked(work))
            {
                _stats.FrameStale();
                return null;
            }

            _lastPublishedRequestId = work.RequestId;
            _latestFrameKey = work.Key;
            _latestFrameIsDraft = work.IsDraft;
            var frame = createFrame(++_sequence);
            var pixels = _latestPixels is { } kept && kept.Length == result.Rgb.Length ? kept : new byte[result.Rgb.Length];
            result.Rgb.CopyTo(pixels, 0);
            _latestPixels = pixels;
            OfferLocked(frame);

            // Snapshots carry the newest frame's sequence and clear the last error, unless the error belongs to a newer
            // request than this frame's (its frame was being encoded when the newer request failed): publish one, latest-wins.
            if (work.RequestId >= _lastErrorRequestId)
            {
                _lastError = null;
            }

            _version++;
            BroadcastStateLocked();
            _stats.FramePublished(frame.Timings);
            return frame;
        }
    }

    /// <summary>Publishes a picture already made as the frame of the current request, which reads alike.</summary>
    private void PublishReusedLocked(MadePicture picture, FrameKey? key, bool isDraft, long acceptedAt)
    {
        if (picture.Rgb is { } rgb)
        {
            _latestPixels = rgb;
        }

        _pending = null;
        _lastPublishedRequestId = _requestId;
        _latestFrameKey = key;
        _latestFrameIsDraft = isDraft;
        var timings = new FrameTimings(
            QueueWaitMs: 0,
            TokenizeMs: 0,
            TextEncodeMs: 0,
            UnetMs: 0,
            DecodeMs: 0,
            GenerateMs: 0,
            ImageEncodeMs: 0,
            TotalMs: _time.GetElapsedTime(acceptedAt).TotalMilliseconds,
            BatchSize: 0,
            TextCacheHit: false,
            Provider: _rules.Model.Provider,
            Reused: true);
        var frame = new LiveFrame(Id, ++_sequence, _requestId, _request, picture.Format, picture.Image, picture.Width, picture.Height, timings, _time.GetUtcNow(),
            isDraft ? _rules.DraftSteps : null);
        OfferLocked(frame);
        _lastError = null;
        BroadcastStateLocked();
        _stats.FrameReused(timings);
    }

    /// <summary>The picture <paramref name="key"/> stands for, when it is on screen or in the frame cache.</summary>
    private (MadePicture? Picture, FrameKey? Key) FindMadeLocked(FrameKey? key)
    {
        if (key is not { } k)
        {
            return (null, null);
        }

        if (k == _latestFrameKey && _latestFrame is { } frame)
        {
            return (new MadePicture(frame.Format, frame.Image, frame.Width, frame.Height, null), k);
        }

        return _frames?.TryCopy(k, _latestPixels) is { } cached
            ? (new MadePicture(cached.Format, cached.Image, cached.Width, cached.Height, cached.Rgb), k)
            : (null, null);
    }

    /// <summary>
    /// Whether a frame already answers <paramref name="work"/>: one of a newer request, or of the same request unless
    /// that one is a draft and <paramref name="work"/> its full-step picture.
    /// </summary>
    private bool IsAnsweredLocked(PendingWork work) =>
        work.RequestId < _lastPublishedRequestId
        || (work.RequestId == _lastPublishedRequestId && (work.IsDraft || !_latestFrameIsDraft));

    /// <summary>(Re)starts the wait for a pause in typing, after which the current request's full-step picture is made.</summary>
    private void ScheduleRefineLocked()
    {
        _refineRequestId = _requestId;
        _refineTimer ??= _time.CreateTimer(static state => ((LiveSession)state!).RefineNow(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _refineTimer.Change(_refineAfter, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Typing paused after a draft: the same request, in all of its steps, takes the latest-request slot.</summary>
    private void RefineNow()
    {
        bool signal;
        lock (_gate)
        {
            if (_closed || _refineRequestId != _requestId || _refineRequestId == 0)
            {
                return;
            }

            _refineRequestId = 0;
            var (made, key) = FindMadeLocked(_requestKey);
            if (made is not null)
            {
                // A new snapshot (the newest frame's sequence; any error cleared), which members take only when newer.
                _version++;
                PublishReusedLocked(made.Value, key, isDraft: false, _time.GetTimestamp());
                return;
            }

            signal = SetPendingLocked(new PendingWork(_requestId, _request, _time.GetTimestamp(), _requestKey));
        }

        if (signal)
        {
            _ready.Enqueue(this);
        }
    }

    /// <summary>Makes <paramref name="frame"/> the newest and puts it in every member's one-frame mailbox.</summary>
    private void OfferLocked(LiveFrame frame)
    {
        _latestFrame = frame;
        foreach (var member in _members)
        {
            if (member.Offer(frame))
            {
                _stats.FrameSuperseded();
            }
        }
    }

    public void ReportError(PendingWork work, string message)
    {
        lock (_gate)
        {
            // A frame that answers the failed work already shows what it asked for (a draft's full picture drawn
            // beside it, say): an error on top of it would say something went wrong where nothing did.
            if (_closed || IsAnsweredLocked(work) || work.RequestId < _lastErrorRequestId)
            {
                return;
            }

            _lastError = message;
            _lastErrorRequestId = work.RequestId;
            _version++;
            BroadcastStateLocked();
        }
    }

    public void SetRole(LiveMember actor, string memberId, LiveRole role)
    {
        lock (_gate)
        {
            EnsureMemberLocked(actor);
            if (actor.Role != LiveRole.Owner)
            {
                throw new LiveException(LiveErrorCode.Forbidden, "Only the owner grants and revokes typing.");
            }

            var target = _members.Find(m => string.Equals(m.MemberId, memberId, StringComparison.Ordinal))
                ?? throw new LiveException(LiveErrorCode.NotAMember, "No member of this session has that id.");
            if (target.Role == LiveRole.Owner)
            {
                throw new LiveException(LiveErrorCode.Forbidden, "The owner's role cannot be changed.");
            }

            if (target.Role == role)
            {
                return;
            }

            // The same guest on two pages (two tabs of one browser share its key) is one person: stopping one page and
            // not the other would let the other hand typing back to the first when it reloads.
            foreach (var member in PagesOfLocked(target))
            {
                member.Role = role;
            }

            _version++;
            BroadcastStateLocked();
        }
    }

    /// <summary>
    /// Renames <paramref name="actor"/>, and with it every page of the same guest (one person, one name); an owner page's
    /// new name is also the one the owner's later pages get. Returns the name as kept.
    /// </summary>
    public string Rename(LiveMember actor, string? displayName)
    {
        var name = DisplayNames.Clean(displayName);
        if (name.Length == 0)
        {
            throw new LiveException(LiveErrorCode.InvalidArgument, "The name is empty: type the name the others should see.");
        }

        if (_applyBlocklist && _rules.IsBlocked(name))
        {
            // As for a blocked prompt, the message does not repeat the word.
            throw new LiveException(LiveErrorCode.InvalidArgument, "This kiosk does not show that name: it holds a blocked word. Try another.");
        }

        lock (_gate)
        {
            EnsureMemberLocked(actor);
            switch (NameClashLocked(name, actor.PersonId, actor.Role == LiveRole.Owner))
            {
                case NameClash.OwnersName:
                    throw new LiveException(LiveErrorCode.InvalidArgument, "That is the owner's name in this session: choose another.");
                case NameClash.SomebodysName:
                    throw new LiveException(
                        LiveErrorCode.InvalidArgument, "Somebody here already goes by that name, or one that looks just like it: choose another.");
            }

            if (actor.Role == LiveRole.Owner)
            {
                _ownerName = name;
            }

            var changed = false;
            foreach (var member in PagesOfLocked(actor))
            {
                changed |= member.DisplayName != name;
                member.DisplayName = name;
            }

            if (changed)
            {
                _version++;
                BroadcastStateLocked();
            }
        }

        return name;
    }

    public void SetTypingOpen(LiveMember actor, bool open)
    {
        lock (_gate)
        {
            EnsureMemberLocked(actor);
            if (actor.Role != LiveRole.Owner)
            {
                throw new LiveException(LiveErrorCode.Forbidden, "Only the owner opens and closes typing.");
            }

            if (_typingOpen == open)
            {
                return;
            }

            // "Anyone can type" means everyone here too, not only those who join later: opening lets every viewer type,
            // closing takes typing back from every typist (the owner then grants it to whom they choose).
            _typingOpen = open;
            foreach (var member in _members)
            {
                member.Role = AfterTyping(member.Role);
            }

            // And those who are away for a moment: they come back as if they had been here.
            foreach (var (key, away) in _returning.ToList())
            {
                _returning[key] = away with { Role = AfterTyping(away.Role) };
            }

            _version++;
            BroadcastStateLocked();
        }

        // The owner keeps their role; viewers become typists when typing opens, typists viewers when it closes.
        LiveRole AfterTyping(LiveRole role) => role == (open ? LiveRole.Viewer : LiveRole.Typist) ? (open ? LiveRole.Typist : LiveRole.Viewer) : role;
    }

    /// <summary>
    /// The newest frame (or frame <paramref name="sequence"/> while it is the newest) as a full-quality PNG, through the
    /// server's download encoder; <paramref name="actor"/> null for the HTTP endpoint (no membership needed).
    /// </summary>
    public async Task<(LiveFrame Frame, byte[] Png)> FullQualityPngAsync(LiveMember? actor, long? sequence, CancellationToken cancellationToken)
    {
        var (frame, _) = GetFullQuality(actor, sequence, copyPixels: false);
        var png = await _pngs.GetAsync(frame, () => GetFullQuality(actor, frame.Sequence, copyPixels: true).Rgb, cancellationToken);
        return (frame, png);
    }

    // The newest frame, and a copy of its RGB when asked; actor is null for the download endpoint.
    private (LiveFrame Frame, byte[] Rgb) GetFullQuality(LiveMember? actor, long? sequence, bool copyPixels)
    {
        lock (_gate)
        {
            if (actor is not null)
            {
                EnsureMemberLocked(actor);
            }
            else if (_closed)
            {
                throw new LiveException(LiveErrorCode.UnknownSession, "The session has ended.");
            }

            if (_latestFrame is null || _latestPixels is null)
            {
                throw new LiveException(LiveErrorCode.FrameUnavailable, "The session has no frame yet.");
            }

            if (sequence is { } s && s != _latestFrame.Sequence)
            {
                throw new LiveException(
                    LiveErrorCode.FrameUnavailable,
                    $"Frame {s} is no longer held; only the newest frame ({_latestFrame.Sequence}) is kept at full quality.");
            }

            // A copy: the session's buffer takes the next frame's pixels while the caller encodes these.
            return (_latestFrame, copyPixels ? (byte[])_latestPixels.Clone() : []);
        }
    }

    // Keys are compared as dictionary keys are, not in constant time: a lookup in a hash map with randomised string
    // hashing tells a timing attacker nothing useful about 128 random bits.
    private (string Name, LiveRole Role, LiveMember? Here)? KnownGuestLocked(string guestKey)
    {
        if (_members.Find(m => m.GuestKey == guestKey) is { } present)
        {
            return (present.DisplayName, present.Role, present);
        }

        return _returning.TryGetValue(guestKey, out var away) ? (away.Name, away.Role, null) : null;
    }

    private void RememberGuestLocked(LiveMember member)
    {
        // Still here on another page (a reload whose old page left last): that one is remembered when it leaves.
        if (member.GuestKey is not { } key || _members.Exists(m => m.GuestKey == key))
        {
            return;
        }

        _returning[key] = (member.DisplayName, member.Role, _time.GetTimestamp());
        if (_returning.Count > _maxMembers * ReturningPerMember)
        {
            // Guests with the role anybody joining gets now are forgotten first: what they lose is only their name, so
            // a crowd coming and going (or somebody joining and leaving on purpose) cannot push out the typists the
            // owner chose or the members the owner stopped.
            var usual = _typingOpen ? LiveRole.Typist : LiveRole.Viewer;
            _returning.Remove(_returning.MinBy(entry => (entry.Value.Role != usual, entry.Value.LeftAt)).Key);
        }
    }

    /// <summary>Ends the session: members' readers complete after a final snapshot with IsClosed set.</summary>
    public void Close() => TryClose(emptyFor: null);

    private bool TryClose(TimeSpan? emptyFor)
    {
        CancellationTokenSource interest;
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            if (emptyFor is { } grace && (_members.Count > 0 || _time.GetElapsedTime(_emptySince) < grace))
            {
                return false;
            }

            _closed = true;
            _returning.Clear();
            _pending = null;
            _latestPixels = null;
            _refineTimer?.Dispose();
            _version++;
            BroadcastStateLocked();
            foreach (var member in _members)
            {
                member.Complete(null);
            }

            _members.Clear();
            interest = _interest;
        }

        interest.Cancel();
        return true;
    }

    private bool SetPendingLocked(PendingWork work)
    {
        Volatile.Write(ref _pending, work);
        if (_queued)
        {
            return false;
        }

        _queued = true;
        return true;
    }

    private void EnsureMemberLocked(LiveMember actor)
    {
        if (_closed)
        {
            throw new LiveException(LiveErrorCode.UnknownSession, "The session has ended.");
        }

        if (!_members.Contains(actor))
        {
            throw new LiveException(LiveErrorCode.NotAMember, "You have left this session.");
        }
    }

    // The pages of one person: a guest's tabs in one browser share its key; any other member is a page of its own.
    private IEnumerable<LiveMember> PagesOfLocked(LiveMember member) =>
        _members.Where(m => m == member || (member.GuestKey is { } key && m.GuestKey == key));

    // Whose a name is when it is not free for this person here. Names are compared as people read them
    // (DisplayNames.LookAlikeKey: "HOST", "Hóst" and a Cyrillic "Ноst" are the host too). Nobody but the owner goes by the
    // owner's name, or by "Host", which viewers read for an owner who gave none; no two people by one name, so that
    // "typed by" and the owner's buttons name one person.
    private NameClash NameClashLocked(string name, string person, bool owner)
    {
        var key = DisplayNames.LookAlikeKey(name);
        if (!owner && (key == DefaultOwnerKey || (_ownerName is { } ownerName && key == DisplayNames.LookAlikeKey(ownerName))
            || _members.Exists(m => m.Role == LiveRole.Owner && !m.IsDisplay && DisplayNames.LookAlikeKey(m.DisplayName) == key)))
        {
            return NameClash.OwnersName;
        }

        // The owner's pages are one person (one token) though listed apart: an owner's second tab or reload is not a second
        // Maya. A display on the owner's token is a screen, with a name of its own.
        return _members.Exists(m => m.PersonId != person && !(owner && m.Role == LiveRole.Owner && !m.IsDisplay) && DisplayNames.LookAlikeKey(m.DisplayName) == key)
            ? NameClash.SomebodysName
            : NameClash.None;
    }

    private string FreeNameLocked(string name, string person, bool owner, string? knownName, string memberId)
    {
        var clash = NameClashLocked(name, person, owner);
        if (clash == NameClash.None)
        {
            return name;
        }

        if (knownName is not null && knownName != name && NameClashLocked(knownName, person, owner) == NameClash.None)
        {
            return knownName;
        }

        // "Rita 2" for a second Rita; never "Host 2", which would still read as the host.
        if (clash == NameClash.SomebodysName)
        {
            for (var n = 2; n <= 9; n++)
            {
                var numbered = DisplayNames.Numbered(name, n);
                if (NameClashLocked(numbered, person, owner) == NameClash.None)
                {
                    return numbered;
                }
            }
        }

        return DisplayNames.Generated(memberId);
    }

    private void BroadcastStateLocked()
    {
        var state = BuildStateLocked();
        foreach (var member in _members)
        {
            member.OfferState(state);
        }
    }

    private LiveSessionState BuildStateLocked()
    {
        // One entry per person: a guest's pages (one browser's key, which shares their name and, since the owner's grant
        // or stop reaches every page of it, their role) are listed once, under the page that came first. The role is part
        // of the grouping all the same, so pages that somehow differ would show apart rather than hide. The owner's pages
        // are not grouped: one of them may be a kiosk display, which the owner's list should show as such.
        var members = _members
            .GroupBy(m => (m.PersonId, m.Role))
            .OrderByDescending(pages => pages.Key.Role == LiveRole.Owner)
            .Select(pages =>
            {
                var first = pages.First();
                return new LiveMemberInfo(first.MemberId, first.DisplayName, first.Role)
                {
                    PersonId = first.PersonId,
                    IsDisplay = first.IsDisplay,
                    OtherPages = [.. pages.Skip(1).Select(m => m.MemberId)],
                };
            })
            .ToArray();
        return new LiveSessionState(Id, _version, _requestId, _request, members, _typingOpen, _sequence, _lastError, _closed) { PromptBy = _promptBy };
    }
}

/// <summary>A picture made already (on screen or in the frame cache); <see cref="Rgb"/> is set when its pixels were copied anew.</summary>
internal readonly record struct MadePicture(FrameFormat Format, byte[] Image, int Width, int Height, byte[]? Rgb);

/// <summary>Whose a name already is, for a person asking for it in a session.</summary>
internal enum NameClash
{
    /// <summary>Nobody's: the name is free.</summary>
    None,

    /// <summary>The owner's (or "Host"), asked for by a guest.</summary>
    OwnersName,

    /// <summary>Somebody else's here, or one that looks just like it.</summary>
    SomebodysName,
}
