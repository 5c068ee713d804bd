namespace NitroLive.Web.Live;

/// <summary>What a member of a live session may do.</summary>
public enum LiveRole
{
    /// <summary>Sees frames; cannot change the request.</summary>
    Viewer = 0,

    /// <summary>Sees frames and may change the request.</summary>
    Typist = 1,

    /// <summary>Created the session: may type, and grants and revokes typing for other members.</summary>
    Owner = 2,
}

/// <summary>How the seed of each accepted request is chosen.</summary>
public enum SeedMode
{
    /// <summary>
    /// Every request uses <see cref="LiveRequest.Seed"/>: the same prompt gives the same picture, so edits look stable
    /// while typing. <see cref="ILiveMember.Reroll"/> picks a new fixed seed (a variation of the same prompt).
    /// </summary>
    Fixed = 0,

    /// <summary>Every accepted request draws a fresh random seed; the frame's request says which one was used.</summary>
    PerRequest = 1,
}

/// <summary>The image format frames are encoded in.</summary>
public enum FrameFormat
{
    /// <summary>Baseline JPEG, quality from <see cref="LiveOptions.JpegQuality"/>.</summary>
    Jpeg = 0,

    /// <summary>Lossy WebP, quality from <see cref="LiveOptions.WebpQuality"/>.</summary>
    Webp = 1,
}

/// <summary>
/// The request a session currently wants generated. Every field is validated against <see cref="LiveLimits"/> when
/// it is accepted, so a <see cref="LiveRequest"/> read from the service is always one the generator can run.
/// </summary>
/// <param name="Prompt">The prompt as typed (may be empty).</param>
/// <param name="Steps">Denoising steps, one of <see cref="LiveLimits.AllowedSteps"/>.</param>
/// <param name="SeedMode">How the seed is chosen.</param>
/// <param name="Seed">
/// The seed: for <see cref="SeedMode.Fixed"/> the session's fixed seed; in a frame's request, the seed actually used.
/// </param>
/// <param name="Width">Image width in pixels, one of <see cref="LiveLimits.Sizes"/>.</param>
/// <param name="Height">Image height in pixels, one of <see cref="LiveLimits.Sizes"/>.</param>
/// <param name="ModelVariant">The model variant to use; one of <see cref="LiveLimits.ModelVariants"/>.</param>
/// <param name="DraftWhileTyping">
/// With more than one step: a new prompt is first drawn in one step (a draft, quick while the prompt is changing), and
/// once typing pauses for <see cref="LiveOptions.RefineAfterMs"/> the same request is drawn again in
/// <paramref name="Steps"/> steps. No effect at one step, or for changes other than the prompt.
/// </param>
public sealed record LiveRequest(
    string Prompt,
    int Steps,
    SeedMode SeedMode,
    long Seed,
    int Width,
    int Height,
    string ModelVariant,
    bool DraftWhileTyping = false);

/// <summary>A partial change to a session's request: null fields keep their current value.</summary>
/// <param name="Prompt">New prompt, or null to keep it.</param>
/// <param name="Steps">New step count, or null to keep it.</param>
/// <param name="SeedMode">New seed mode, or null to keep it.</param>
/// <param name="Seed">New fixed seed, or null to keep it.</param>
/// <param name="Width">New width (give <paramref name="Height"/> too), or null to keep the size.</param>
/// <param name="Height">New height (give <paramref name="Width"/> too), or null to keep the size.</param>
/// <param name="ModelVariant">New model variant, or null to keep it.</param>
/// <param name="DraftWhileTyping">Turns drafts while typing on or off, or null to keep it.</param>
public sealed record LiveRequestPatch(
    string? Prompt = null,
    int? Steps = null,
    SeedMode? SeedMode = null,
    long? Seed = null,
    int? Width = null,
    int? Height = null,
    string? ModelVariant = null,
    bool? DraftWhileTyping = null);

/// <summary>The answer to an accepted request change.</summary>
/// <param name="RequestId">
/// The id of the accepted request, increasing per session. Frames carry the id of the request they answer, so a
/// client can tell when the picture of its latest edit has arrived.
/// </param>
/// <param name="Request">The request as accepted (with the seed that will be used).</param>
public sealed record LiveRequestAccepted(long RequestId, LiveRequest Request);

/// <summary>Where the time of one frame went, in milliseconds.</summary>
/// <param name="QueueWaitMs">From the request being accepted to the generator starting it.</param>
/// <param name="TokenizeMs">CLIP tokenization.</param>
/// <param name="TextEncodeMs">Text encoders (near zero on a prompt-embedding cache hit).</param>
/// <param name="UnetMs">All denoising steps together.</param>
/// <param name="DecodeMs">VAE decode to RGB.</param>
/// <param name="GenerateMs">The generator's whole call (for a batch, the batch's call).</param>
/// <param name="ImageEncodeMs">JPEG/WebP encoding of this frame.</param>
/// <param name="TotalMs">From the request being accepted to the frame being ready to send.</param>
/// <param name="BatchSize">How many requests shared the generator call.</param>
/// <param name="TextCacheHit">Whether the prompt embeddings came from the cache.</param>
/// <param name="Provider">The execution provider that ran it ("CPU", "CUDA").</param>
/// <param name="Reused">
/// True when no generation ran: the request reads exactly as one whose picture was made already (the frame on screen,
/// or one the frame cache holds), and that picture answers it (see <see cref="LiveOptions.ReuseFrameForAlikePrompt"/>);
/// every time but <paramref name="TotalMs"/> is then 0.
/// </param>
/// <param name="TinyDecoder">Whether the model's tiny decoder decoded this draft (its full decoder's picture follows).</param>
public sealed record FrameTimings(
    double QueueWaitMs,
    double TokenizeMs,
    double TextEncodeMs,
    double UnetMs,
    double DecodeMs,
    double GenerateMs,
    double ImageEncodeMs,
    double TotalMs,
    int BatchSize,
    bool TextCacheHit,
    string Provider,
    bool Reused = false,
    bool TinyDecoder = false);

/// <summary>
/// One encoded picture of a session. Frames of a session are published in increasing <see cref="Sequence"/> and
/// never decreasing <see cref="RequestId"/>: a frame never follows a frame of a newer request. Two frames answer the
/// same request only when the first is a draft and the second its full-step picture.
/// </summary>
/// <param name="SessionId">The session the frame belongs to.</param>
/// <param name="Sequence">Per-session frame number, starting at 1, increasing by one per published frame.</param>
/// <param name="RequestId">The id of the request this frame answers (see <see cref="LiveRequestAccepted.RequestId"/>).</param>
/// <param name="Request">The request this frame answers, with the seed that was used.</param>
/// <param name="Format">The image format of <see cref="Image"/>.</param>
/// <param name="Image">The encoded image. Shared by every member: treat as read-only.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Timings">Where the time went.</param>
/// <param name="CreatedAt">When the frame was ready to send.</param>
/// <param name="DraftSteps">
/// The steps of a draft (<see cref="LiveRequest.DraftWhileTyping"/>), fewer than the request's: the request's
/// full-step picture follows unless a newer request comes first. Null for a full-step picture.
/// </param>
public sealed record LiveFrame(
    string SessionId,
    long Sequence,
    long RequestId,
    LiveRequest Request,
    FrameFormat Format,
    byte[] Image,
    int Width,
    int Height,
    FrameTimings Timings,
    DateTimeOffset CreatedAt,
    int? DraftSteps = null)
{
    /// <summary>Whether this is a draft (see <see cref="DraftSteps"/>).</summary>
    public bool IsDraft => DraftSteps is not null;

    /// <summary>The steps the picture was drawn in.</summary>
    public int StepsDrawn => DraftSteps ?? Request.Steps;

    /// <summary>The MIME type of <see cref="Image"/> ("image/jpeg" or "image/webp").</summary>
    public string ContentType => Format == FrameFormat.Webp ? "image/webp" : "image/jpeg";
}

/// <summary>A member as the other members see it.</summary>
/// <param name="MemberId">Random id of the membership, unique within the session.</param>
/// <param name="DisplayName">Name the member gave (or a generated one).</param>
/// <param name="Role">Current role.</param>
public sealed record LiveMemberInfo(string MemberId, string DisplayName, LiveRole Role)
{
    /// <summary>
    /// The same person's other pages in the session, by membership id: a guest's tabs in one browser (they share its
    /// guest key), which the list shows once; empty for a member on one page.
    /// </summary>
    public IReadOnlyList<string> OtherPages { get; init; } = [];

    /// <summary>
    /// Stays the same while any of the person's pages is here, also when the page that came first (<see cref="MemberId"/>)
    /// leaves: what a list keys its entries by. Not a member id to act on.
    /// </summary>
    public string PersonId { get => field ?? MemberId; init; }

    /// <summary>
    /// A screen showing the session (a kiosk display), not a person: nobody to grant typing to or to name anyone after.
    /// </summary>
    public bool IsDisplay { get; init; }

    /// <summary>Whether <paramref name="memberId"/> is this member's, on any of their pages.</summary>
    /// <param name="memberId">A membership id, or null (which is nobody's).</param>
    /// <returns>True for <see cref="MemberId"/> and the ids in <see cref="OtherPages"/>.</returns>
    public bool Holds(string? memberId) =>
        memberId is not null && (string.Equals(memberId, MemberId, StringComparison.Ordinal) || OtherPages.Contains(memberId, StringComparer.Ordinal));

    /// <summary>Whether <paramref name="other"/> lists the same person the same way (its other pages compared in order).</summary>
    /// <param name="other">Another entry, or null.</param>
    /// <returns>True when every field, and every id of the other pages, is equal.</returns>
    public bool Equals(LiveMemberInfo? other) =>
        other is not null && MemberId == other.MemberId && DisplayName == other.DisplayName && Role == other.Role &&
        PersonId == other.PersonId && IsDisplay == other.IsDisplay && OtherPages.SequenceEqual(other.OtherPages);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(MemberId, DisplayName, Role, PersonId, OtherPages.Count);
}

/// <summary>A snapshot of a session, published to its members whenever something in it changes.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Version">Increases on every change; a snapshot with a lower version is stale.</param>
/// <param name="RequestId">Id of the current request.</param>
/// <param name="Request">The current request.</param>
/// <param name="Members">Every member, owner first; a person on several pages once (<see cref="LiveMemberInfo.OtherPages"/>).</param>
/// <param name="TypingOpen">Whether members may join as <see cref="LiveRole.Typist"/> without a grant.</param>
/// <param name="LastFrameSequence">Sequence of the newest published frame, 0 before the first.</param>
/// <param name="LastError">The last generation failure for this session, cleared by the next frame; null when fine.</param>
/// <param name="IsClosed">True once the session has ended; no further snapshots or frames follow.</param>
public sealed record LiveSessionState(
    string SessionId,
    long Version,
    long RequestId,
    LiveRequest Request,
    IReadOnlyList<LiveMemberInfo> Members,
    bool TypingOpen,
    long LastFrameSequence,
    string? LastError,
    bool IsClosed)
{
    /// <summary>
    /// The member whose change set the current prompt (null until a member changes the session's initial prompt), so that
    /// a shared session can say whose prompt is on screen; settings changes leave it as it is.
    /// </summary>
    public string? PromptBy { get; init; }
}

/// <summary>What the service accepts, for clients to build their controls and validate early.</summary>
/// <param name="MaxPromptLength">Longest prompt accepted, in UTF-16 characters.</param>
/// <param name="AllowedSteps">Step counts accepted.</param>
/// <param name="Sizes">Sizes accepted (width, height).</param>
/// <param name="ModelVariant">The default variant (the loaded model's).</param>
/// <param name="ModelVariants">
/// The variants a request may name (<see cref="LiveRequest.ModelVariant"/>), default first. A NitroFusion export
/// offers <c>realism</c> and <c>vibrant</c>; the embedded demo model is one variant under its own name.
/// </param>
/// <param name="DefaultRequest">The request a new session starts with.</param>
/// <param name="ClientDebounceMs">Shortest time clients should leave between two prompt sends while typing (a throttle; the server is latest-wins).</param>
/// <param name="MaxMembersPerSession">Most members one session holds.</param>
/// <param name="FrameFormat">The format frames are encoded in.</param>
public sealed record LiveLimits(
    int MaxPromptLength,
    IReadOnlyList<int> AllowedSteps,
    IReadOnlyList<(int Width, int Height)> Sizes,
    string ModelVariant,
    IReadOnlyList<LiveModelVariant> ModelVariants,
    LiveRequest DefaultRequest,
    int ClientDebounceMs,
    int MaxMembersPerSession,
    FrameFormat FrameFormat)
{
    /// <summary>The offered variant called <paramref name="name"/>, or null when none is.</summary>
    /// <param name="name">A variant's name, as <see cref="LiveRequest.ModelVariant"/> carries it.</param>
    public LiveModelVariant? VariantNamed(string? name) =>
        ModelVariants.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.Ordinal));
}

/// <summary>A model variant a request may name.</summary>
/// <param name="Name">What <see cref="LiveRequest.ModelVariant"/> carries (<c>realism</c>, <c>vibrant</c>, <c>tiny</c>).</param>
/// <param name="DisplayName">What people see: "Realism", "Vibrant", or the embedded model's own name.</param>
public sealed record LiveModelVariant(string Name, string DisplayName)
{
    /// <summary>
    /// Prompts that show what the variant draws well (its model folder's <c>example_prompts</c>, those within the
    /// prompt length limit); may be empty.
    /// </summary>
    public IReadOnlyList<string> ExamplePrompts { get; init; } = [];

    /// <summary>
    /// The words the variant knows (its model folder's <c>vocabulary</c>, lower case), for a model trained on a few (the
    /// embedded demo model); empty when it reads any text.
    /// </summary>
    public IReadOnlyList<string> Vocabulary { get; init; } = [];

    /// <summary>Whether the variant decodes drafts with a tiny decoder of their own (drafts then happen at one step too).</summary>
    public bool DraftsUseTinyDecoder { get; init; }
}

/// <summary>Options for creating a session.</summary>
/// <param name="DisplayName">The owner's display name; null for a generated one.</param>
/// <param name="Initial">Changes to apply to <see cref="LiveLimits.DefaultRequest"/> for the first request; null for none.</param>
/// <param name="TypingOpen">Whether others may join as <see cref="LiveRole.Typist"/> without a grant.</param>
/// <param name="ApplyBlocklist">
/// Whether the session refuses prompts on the kiosk blocklist (<c>NitroLive:Kiosk:Blocklist</c>) with
/// <see cref="LiveErrorCode.BlockedPrompt"/>: set for a public kiosk's session, whose typing is open to anybody who scans its QR code.
/// </param>
/// <param name="Display">Whether the owner is a screen showing the session (a kiosk display), not a person (<see cref="LiveMemberInfo.IsDisplay"/>).</param>
public sealed record CreateSessionOptions(string? DisplayName = null, LiveRequestPatch? Initial = null, bool TypingOpen = true, bool ApplyBlocklist = false, bool Display = false);
