using System.Collections.Concurrent;
using System.Threading.Channels;
using NitroLive.Core.Pipeline;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Components;

/// <summary>
/// An in-memory stand-in for the live service, for component tests only: it records what the UI asks for and lets
/// a test publish frames and states. It follows the real contract's latest-wins channels (capacity 1, drop oldest).
/// </summary>
internal sealed class FakeLiveService : ILiveService
{
    private readonly ConcurrentDictionary<string, FakeSession> _sessions = new();
    private int _nextSession;

    public ModelDescription Model { get; set; } = new(
        "nitro-tiny", "tiny", IsEmbeddedDemo: true, 64, 64, [(64, 64), (128, 128)], [1, 2, 3, 4], 250, 8, "CPU", "MIT");

    public LiveLimits Limits { get; set; } = new(
        500, [1, 2, 3, 4], [(64, 64), (128, 128)], "tiny", [new LiveModelVariant("tiny", "nitro-tiny")],
        new LiveRequest(string.Empty, 1, SeedMode.Fixed, 42, 64, 64, "tiny", DraftWhileTyping: true), 40, 64, FrameFormat.Jpeg);

    public List<FakeMember> Members { get; } = [];

    /// <summary>The options of every session created, in order.</summary>
    public List<CreateSessionOptions> Created { get; } = [];

    /// <summary>When set, creating a session is refused with it (a full server).</summary>
    public LiveException? RefuseCreate { get; set; }

    public ILiveMember CreateSession(CreateSessionOptions? options = null)
    {
        if (RefuseCreate is { } refused)
        {
            throw refused;
        }

        options ??= new CreateSessionOptions();
        lock (Created)
        {
            Created.Add(options);
        }

        var id = $"session{Interlocked.Increment(ref _nextSession):D2}AAAAAAAAAAAAA";
        var session = new FakeSession(this, id, options.TypingOpen);
        var initial = options.Initial;
        if (initial is not null)
        {
            session.Request = Apply(session.Request, initial);
        }

        _sessions[id] = session;
        return session.Add(LiveRole.Owner, options.DisplayName ?? "Owner", "owner-token-" + id, options.Display);
    }

    /// <summary>The guest keys pages offered when joining, in order (null when none).</summary>
    public List<string?> GuestKeysOffered { get; } = [];

    /// <summary>The names pages gave when joining, in order (null when none).</summary>
    public List<string?> NamesGiven { get; } = [];

    public ILiveMember JoinSession(string sessionId, LiveRole role, string? displayName = null, string? ownerToken = null, string? guestKey = null, bool display = false)
    {
        GuestKeysOffered.Add(guestKey);
        NamesGiven.Add(displayName);
        if (!_sessions.TryGetValue(sessionId, out var session))
        {
            throw new LiveException(LiveErrorCode.UnknownSession, "No such session.");
        }

        if (role == LiveRole.Owner && ownerToken != "owner-token-" + sessionId)
        {
            throw new LiveException(LiveErrorCode.InvalidOwnerToken, "Bad owner token.");
        }

        if (role == LiveRole.Typist && !session.TypingOpen)
        {
            throw new LiveException(LiveErrorCode.Forbidden, "Typing is closed.");
        }

        // A key of a guest still here is that guest's next page, as the live service has it (one it has forgotten is not
        // modelled: any other key is a newcomer's).
        if (role != LiveRole.Owner && session.MembersNow.FirstOrDefault(m => m.GuestKey is { } known && known == guestKey) is { } person)
        {
            return session.AddPageOf(person);
        }

        return session.Add(role, displayName ?? $"Guest {session.MemberCount + 1}", role == LiveRole.Owner ? ownerToken : null, display);
    }

    public LiveSessionState? GetSessionState(string sessionId) =>
        _sessions.TryGetValue(sessionId, out var session) ? session.Snapshot() : null;

    public FakeSession Session(string sessionId) => _sessions[sessionId];

    public FakeSession OnlySession() => _sessions.Values.Single();

    internal LiveRequest Apply(LiveRequest request, LiveRequestPatch patch)
    {
        if (patch.Prompt is { Length: > 500 })
        {
            throw new LiveException(LiveErrorCode.PromptTooLong, "Too long.");
        }

        if (patch.Steps is { } steps && !Limits.AllowedSteps.Contains(steps))
        {
            throw new LiveException(LiveErrorCode.StepsOutOfRange, "Bad steps.");
        }

        if (patch.ModelVariant is { } variant && Limits.ModelVariants.All(v => v.Name != variant))
        {
            throw new LiveException(LiveErrorCode.UnsupportedVariant, "Bad variant.");
        }

        return request with
        {
            Prompt = patch.Prompt ?? request.Prompt,
            Steps = patch.Steps ?? request.Steps,
            SeedMode = patch.SeedMode ?? request.SeedMode,
            Seed = patch.Seed ?? request.Seed,
            Width = patch.Width ?? request.Width,
            Height = patch.Height ?? request.Height,
            ModelVariant = patch.ModelVariant ?? request.ModelVariant,
            DraftWhileTyping = patch.DraftWhileTyping ?? request.DraftWhileTyping,
        };
    }
}

internal sealed class FakeSession(FakeLiveService service, string id, bool typingOpen)
{
    private readonly object _gate = new();
    private readonly List<FakeMember> _members = [];
    private long _version;
    private long _sequence;
    private int _joins; // member ids are never reused, as the live service's are not

    public string Id { get; } = id;

    public bool TypingOpen { get; set; } = typingOpen;

    public LiveRequest Request { get; set; } = service.Limits.DefaultRequest;

    public string? PromptBy { get; set; }

    public long RequestId { get; private set; } = 1;

    public List<LiveRequestPatch> Patches { get; } = [];

    public int Rerolls { get; private set; }

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

    public IReadOnlyList<FakeMember> MembersNow
    {
        get
        {
            lock (_gate)
            {
                return [.. _members];
            }
        }
    }

    public LiveFrame? Latest { get; private set; }

    public FakeMember Add(LiveRole role, string name, string? token, bool display = false)
    {
        FakeMember member;
        lock (_gate)
        {
            member = new FakeMember(service, this, $"m{++_joins}", name, role, token) { IsDisplay = display };
            _members.Add(member);
            service.Members.Add(member);
        }

        Publish();
        if (Latest is not null)
        {
            member.FramesWriter.TryWrite(Latest);
        }

        return member;
    }

    /// <summary>
    /// Another page of the same person (a second tab): a guest's is listed once, as the live service lists it; the
    /// owner's pages are listed each on its own.
    /// </summary>
    public FakeMember AddPageOf(FakeMember person)
    {
        FakeMember member;
        lock (_gate)
        {
            var id = $"m{++_joins}";
            member = new FakeMember(service, this, id, person.DisplayName, person.Role, person.OwnerToken) { Person = person.Role == LiveRole.Owner ? id : person.Person };
            _members.Add(member);
            service.Members.Add(member);
        }

        Publish();
        return member;
    }

    public void Remove(FakeMember member)
    {
        lock (_gate)
        {
            _members.Remove(member);
        }

        Publish();
    }

    public LiveRequestAccepted Change(LiveRequestPatch patch, string? by = null)
    {
        lock (_gate)
        {
            Patches.Add(patch);
            if (by is not null && patch.Prompt is { } prompt && prompt != Request.Prompt)
            {
                PromptBy = by;
            }

            Request = service.Apply(Request, patch);
            RequestId++;
        }

        Publish();
        return new LiveRequestAccepted(RequestId, Request);
    }

    public LiveRequestAccepted Reroll()
    {
        lock (_gate)
        {
            Rerolls++;
            Request = Request with { SeedMode = SeedMode.Fixed, Seed = Request.Seed + 1000 };
            RequestId++;
        }

        Publish();
        return new LiveRequestAccepted(RequestId, Request);
    }

    /// <summary>Publishes a frame of the current request to every member.</summary>
    public LiveFrame PublishFrame(LiveRequest? request = null, long? requestId = null)
    {
        var frame = new LiveFrame(
            Id, Interlocked.Increment(ref _sequence), requestId ?? RequestId, request ?? Request, FrameFormat.Jpeg,
            [0xFF, 0xD8, 0xFF, 0xD9], Request.Width, Request.Height,
            new FrameTimings(1, 2, 3, 40, 5, 50, 4, 60, 1, false, "CPU"), DateTimeOffset.UtcNow);
        Latest = frame;
        foreach (var member in MembersNow)
        {
            member.FramesWriter.TryWrite(frame);
        }

        return frame;
    }

    public void Rename(string person, string name)
    {
        lock (_gate)
        {
            foreach (var page in _members.Where(m => m.Person == person))
            {
                page.DisplayName = name;
            }
        }

        Publish();
    }

    public void SetRole(string memberId, LiveRole role)
    {
        lock (_gate)
        {
            var person = _members.Single(m => m.MemberId == memberId).Person;
            foreach (var page in _members.Where(m => m.Person == person))
            {
                page.Role = role;
            }
        }

        Publish();
    }

    public void Publish()
    {
        var state = Snapshot();
        foreach (var member in MembersNow)
        {
            member.StatesWriter.TryWrite(state);
        }
    }

    public LiveSessionState Snapshot()
    {
        lock (_gate)
        {
            return new LiveSessionState(
                Id, Interlocked.Increment(ref _version), RequestId, Request,
                [.. _members.GroupBy(m => m.Person).Select(pages => new LiveMemberInfo(pages.First().MemberId, pages.First().DisplayName, pages.First().Role) { PersonId = pages.Key, IsDisplay = pages.First().IsDisplay, OtherPages = [.. pages.Skip(1).Select(m => m.MemberId)] })],
                TypingOpen, _sequence, null, IsClosed: false) { PromptBy = PromptBy };
        }
    }
}

internal sealed class FakeMember : ILiveMember
{
    private static readonly BoundedChannelOptions LatestOnly = new(1) { FullMode = BoundedChannelFullMode.DropOldest };
    private readonly Channel<LiveFrame> _frames = Channel.CreateBounded<LiveFrame>(LatestOnly);
    private readonly Channel<LiveSessionState> _states = Channel.CreateBounded<LiveSessionState>(LatestOnly);
    private readonly FakeLiveService _service;
    private readonly FakeSession _session;

    public FakeMember(FakeLiveService service, FakeSession session, string memberId, string name, LiveRole role, string? token)
    {
        _service = service;
        _session = session;
        MemberId = memberId;
        Person = memberId;
        DisplayName = name;
        Role = role;
        OwnerToken = token;
    }

    public string SessionId => _session.Id;

    public string MemberId { get; }

    public string DisplayName { get; set; }

    public LiveRole Role { get; set; }

    public string? OwnerToken { get; }

    public string? GuestKey => Role == LiveRole.Owner ? null : "guest-key-" + Person;

    /// <summary>A kiosk display's membership.</summary>
    public bool IsDisplay { get; init; }

    /// <summary>The first page of the person this page belongs to (<see cref="FakeSession.AddPageOf"/>).</summary>
    public string Person { get; init; }

    public bool IsClosed { get; private set; }

    public LiveSessionState State => _session.Snapshot();

    public LiveFrame? LatestFrame => _session.Latest;

    public ChannelReader<LiveFrame> Frames => _frames.Reader;

    public ChannelReader<LiveSessionState> States => _states.Reader;

    public List<string> Prompts { get; } = [];

    public int PngRequests { get; private set; }

    internal ChannelWriter<LiveFrame> FramesWriter => _frames.Writer;

    internal ChannelWriter<LiveSessionState> StatesWriter => _states.Writer;

    public LiveRequestAccepted UpdateRequest(LiveRequestPatch patch)
    {
        EnsureCanType();
        if (patch.Prompt is not null)
        {
            Prompts.Add(patch.Prompt);
        }

        return _session.Change(patch, MemberId);
    }

    public LiveRequestAccepted SetPrompt(string prompt) => UpdateRequest(new LiveRequestPatch(Prompt: prompt));

    /// <summary>Prompts set with <see cref="ShowPrompt"/> (also in <see cref="Prompts"/>): whole prompts, not typing.</summary>
    public List<string> ShownPrompts { get; } = [];

    public LiveRequestAccepted ShowPrompt(string prompt)
    {
        ShownPrompts.Add(prompt);
        return SetPrompt(prompt);
    }

    /// <summary>Requests set with <see cref="ShowRequest"/>: whole requests chosen at once, not typing.</summary>
    public List<LiveRequestPatch> ShownRequests { get; } = [];

    public LiveRequestAccepted ShowRequest(LiveRequestPatch patch)
    {
        ShownRequests.Add(patch);
        return UpdateRequest(patch);
    }

    public LiveRequestAccepted Reroll()
    {
        EnsureCanType();
        return _session.Reroll();
    }

    public void GrantTyping(string memberId)
    {
        EnsureOwner();
        _session.SetRole(memberId, LiveRole.Typist);
    }

    public void RevokeTyping(string memberId)
    {
        EnsureOwner();
        _session.SetRole(memberId, LiveRole.Viewer);
    }

    /// <summary>Names given with <see cref="Rename"/>, in order.</summary>
    public List<string> Renames { get; } = [];

    /// <summary>When set, <see cref="Rename"/> refuses with this message, as the live service refuses a name.</summary>
    public string? RefuseRename { get; set; }

    public string Rename(string displayName)
    {
        Renames.Add(displayName);
        if (RefuseRename is { } why)
        {
            throw new LiveException(LiveErrorCode.InvalidArgument, why);
        }

        var name = displayName.Trim();
        _session.Rename(Person, name);
        return name;
    }

    public void SetTypingOpen(bool open)
    {
        EnsureOwner();
        _session.TypingOpen = open;
        _session.Publish();
    }

    /// <summary>When set, <see cref="EncodePngAsync"/> answers as the live service does for a frame it no longer holds.</summary>
    public bool PngGone { get; set; }

    public Task<byte[]> EncodePngAsync(long? sequence, CancellationToken cancellationToken)
    {
        PngRequests++;
        if (PngGone)
        {
            throw new LiveException(LiveErrorCode.FrameUnavailable, "Only the newest frame is kept at full quality.");
        }

        return Task.FromResult<byte[]>([0x89, 0x50, 0x4E, 0x47]);
    }

    public ValueTask DisposeAsync()
    {
        if (!IsClosed)
        {
            IsClosed = true;
            _frames.Writer.TryComplete();
            _states.Writer.TryComplete();
            _session.Remove(this);
            _service.Members.Remove(this);
        }

        return ValueTask.CompletedTask;
    }

    private void EnsureCanType()
    {
        if (Role == LiveRole.Viewer)
        {
            throw new LiveException(LiveErrorCode.Forbidden, "Viewers cannot type.");
        }
    }

    private void EnsureOwner()
    {
        if (Role != LiveRole.Owner)
        {
            throw new LiveException(LiveErrorCode.Forbidden, "Only the owner can do that.");
        }
    }
}
