using Microsoft.Extensions.Options;
using NitroLive.Core.Pipeline;

namespace NitroLive.Web.Live;

/// <summary>The in-process face of the live service, shared by the Blazor UI and the hub.</summary>
internal sealed class LiveService : ILiveService
{
    private readonly LiveSessionRegistry _registry;
    private readonly ReadyQueue _ready;
    private readonly LiveStats _stats;
    private readonly TimeProvider _time;
    private readonly LiveOptions _options;
    private readonly LiveRequestRules _rules;
    private readonly FrameCache _frames;
    private readonly FullQualityPngs _pngs;
    private readonly ILogger<LiveService> _logger;

    public LiveService(
        IImageGenerator generator,
        LiveSessionRegistry registry,
        ReadyQueue ready,
        LiveStats stats,
        TimeProvider time,
        IOptions<LiveOptions> options,
        PromptBlocklist blocklist,
        FrameCache frames,
        FullQualityPngs pngs,
        ILogger<LiveService> logger)
    {
        _frames = frames;
        _pngs = pngs;
        _registry = registry;
        _ready = ready;
        _stats = stats;
        _time = time;
        _options = options.Value;
        _logger = logger;
        _rules = new LiveRequestRules(_options, generator.Model, blocklist, generator);
    }

    public ModelDescription Model => _rules.Model;

    public LiveLimits Limits => _rules.Limits;

    public ILiveMember CreateSession(CreateSessionOptions? options = null)
    {
        options ??= new CreateSessionOptions();

        // Validate everything before taking a slot, so a bad first request leaves no half-made session behind.
        var seeded = _rules.Limits.DefaultRequest with { Seed = LiveRequestRules.NewSeed() };
        var first = _rules.Apply(seeded, options.Initial ?? new LiveRequestPatch(), options.ApplyBlocklist);
        _ = DisplayNames.Clean(options.DisplayName);

        LiveMember? owner = null;
        var session = _registry.Add(() =>
        {
            var created = new LiveSession(
                LiveIds.NewId(),
                LiveIds.NewId(),
                first,
                options.TypingOpen,
                _rules,
                _ready,
                _stats,
                _time,
                _options.MaxMembersPerSession,
                _registry.OnEmptied,
                _pngs,
                _options.CancelSupersededRuns,
                options.ApplyBlocklist,
                _frames,
                TimeSpan.FromMilliseconds(_options.RefineAfterMs));

            // The owner joins before the session is listed, so the janitor never sees it empty.
            owner = created.Join(LiveRole.Owner, options.DisplayName, created.OwnerToken, display: options.Display);
            return created;
        });
        owner!.UpdateRequest(new LiveRequestPatch());
        LiveLog.MemberJoined(_logger, LiveIds.ForLog(session.Id), LiveRole.Owner);
        return owner;
    }

    public ILiveMember JoinSession(string sessionId, LiveRole role, string? displayName = null, string? ownerToken = null, string? guestKey = null, bool display = false)
    {
        var session = FindOrThrow(sessionId);
        var member = session.Join(role, displayName, ownerToken, guestKey, display);
        LiveLog.MemberJoined(_logger, LiveIds.ForLog(session.Id), member.Role);
        return member;
    }

    public LiveSessionState? GetSessionState(string sessionId) => _registry.Find(sessionId)?.State;

    /// <summary>The newest frame of a session as PNG, for the download endpoint (no membership needed).</summary>
    public Task<(LiveFrame Frame, byte[] Png)> EncodePngAsync(string sessionId, long? sequence, CancellationToken cancellationToken) =>
        FindOrThrow(sessionId).FullQualityPngAsync(null, sequence, cancellationToken);

    private LiveSession FindOrThrow(string? sessionId)
    {
        if (!LiveIds.IsWellFormed(sessionId))
        {
            throw new LiveException(LiveErrorCode.UnknownSession, "That is not a session id (22 URL-safe characters).");
        }

        return _registry.Find(sessionId)
            ?? throw new LiveException(LiveErrorCode.UnknownSession, "No session has that id; it may have ended.");
    }
}
