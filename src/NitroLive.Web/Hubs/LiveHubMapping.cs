using NitroLive.Web.Live;

namespace NitroLive.Web.Hubs;

/// <summary>Maps between the live service's records and the wire shapes.</summary>
internal static class LiveHubMapping
{
    public static string ToWire(this LiveRole role) => role switch
    {
        LiveRole.Owner => "owner",
        LiveRole.Typist => "typist",
        _ => "viewer",
    };

    public static LiveRole ParseRole(string? role) => role switch
    {
        null or "" or "viewer" => LiveRole.Viewer,
        "typist" => LiveRole.Typist,
        "owner" => LiveRole.Owner,
        _ => throw new LiveException(LiveErrorCode.InvalidArgument, $"Unknown role '{role}'; use \"viewer\", \"typist\" or \"owner\"."),
    };

    public static string ToWire(this SeedMode mode) => mode == SeedMode.PerRequest ? "perRequest" : "fixed";

    public static SeedMode? ParseSeedMode(string? mode) => mode switch
    {
        null => null,
        "fixed" => SeedMode.Fixed,
        "perRequest" => SeedMode.PerRequest,
        _ => throw new LiveException(LiveErrorCode.InvalidArgument, $"Unknown seed mode '{mode}'; use \"fixed\" or \"perRequest\"."),
    };

    public static string ToWire(this FrameFormat format) => format == FrameFormat.Webp ? "webp" : "jpeg";

    public static LiveRequestPatch ToPatch(this RequestPatchMessage? patch)
    {
        if (patch is null)
        {
            throw new LiveException(LiveErrorCode.InvalidArgument, "The request change is missing.");
        }

        return new LiveRequestPatch(patch.Prompt, patch.Steps, ParseSeedMode(patch.SeedMode), patch.Seed, patch.Width, patch.Height, patch.ModelVariant, patch.DraftWhileTyping);
    }

    public static RequestMessage ToMessage(this LiveRequest request) => new()
    {
        Prompt = request.Prompt,
        Steps = request.Steps,
        SeedMode = request.SeedMode.ToWire(),
        Seed = request.Seed,
        Width = request.Width,
        Height = request.Height,
        ModelVariant = request.ModelVariant,
        DraftWhileTyping = request.DraftWhileTyping,
    };

    public static RequestAcceptedMessage ToMessage(this LiveRequestAccepted accepted) => new()
    {
        RequestId = accepted.RequestId,
        Request = accepted.Request.ToMessage(),
    };

    public static SessionStateMessage ToMessage(this LiveSessionState state) => new()
    {
        SessionId = state.SessionId,
        Version = state.Version,
        RequestId = state.RequestId,
        Request = state.Request.ToMessage(),
        Members = state.Members.Select(m => new MemberMessage { MemberId = m.MemberId, DisplayName = m.DisplayName, Role = m.Role.ToWire(), OtherMemberIds = [.. m.OtherPages], IsDisplay = m.IsDisplay }).ToList(),
        TypingOpen = state.TypingOpen,
        LastFrameSequence = state.LastFrameSequence,
        LastError = state.LastError,
        IsClosed = state.IsClosed,
        PromptBy = state.PromptBy,
    };

    public static JoinedMessage ToJoinedMessage(this ILiveMember member) => new()
    {
        SessionId = member.SessionId,
        MemberId = member.MemberId,
        Role = member.Role.ToWire(),
        OwnerToken = member.OwnerToken,
        GuestKey = member.GuestKey,
        State = member.State.ToMessage(),
    };

    public static FrameMessage ToMessage(this LiveFrame frame) => new()
    {
        SessionId = frame.SessionId,
        Sequence = frame.Sequence,
        RequestId = frame.RequestId,
        Request = frame.Request.ToMessage(),
        Format = frame.Format.ToWire(),
        ContentType = frame.ContentType,
        Image = frame.Image,
        Width = frame.Width,
        Height = frame.Height,
        Draft = frame.IsDraft,
        Timings = new TimingsMessage
        {
            QueueWaitMs = frame.Timings.QueueWaitMs,
            TokenizeMs = frame.Timings.TokenizeMs,
            TextEncodeMs = frame.Timings.TextEncodeMs,
            UnetMs = frame.Timings.UnetMs,
            DecodeMs = frame.Timings.DecodeMs,
            GenerateMs = frame.Timings.GenerateMs,
            ImageEncodeMs = frame.Timings.ImageEncodeMs,
            TotalMs = frame.Timings.TotalMs,
            BatchSize = frame.Timings.BatchSize,
            TextCacheHit = frame.Timings.TextCacheHit,
            Reused = frame.Timings.Reused,
            TinyDecoder = frame.Timings.TinyDecoder,
            Provider = frame.Timings.Provider,
        },
        CreatedAtUnixMs = frame.CreatedAt.ToUnixTimeMilliseconds(),
    };

    public static ServerInfoMessage ToServerInfo(this ILiveService live, string provider) => new()
    {
        Model = live.Model.DisplayName,
        ModelVariant = live.Limits.ModelVariant,
        ModelVariants = live.Limits.ModelVariants
            .Select(v => new ModelVariantMessage
            {
                Name = v.Name,
                DisplayName = v.DisplayName,
                ExamplePrompts = [.. v.ExamplePrompts],
                Vocabulary = [.. v.Vocabulary],
                DraftsUseTinyDecoder = v.DraftsUseTinyDecoder,
            })
            .ToList(),
        Provider = provider,
        MaxPromptLength = live.Limits.MaxPromptLength,
        AllowedSteps = live.Limits.AllowedSteps.ToList(),
        Sizes = live.Limits.Sizes.Select(s => new SizeMessage { Width = s.Width, Height = s.Height }).ToList(),
        ClientDebounceMs = live.Limits.ClientDebounceMs,
        MaxMembersPerSession = live.Limits.MaxMembersPerSession,
        FrameFormat = live.Limits.FrameFormat.ToWire(),
        DefaultRequest = live.Limits.DefaultRequest.ToMessage(),
    };
}
