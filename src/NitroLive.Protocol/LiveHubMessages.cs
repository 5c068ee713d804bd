using System.Runtime.Serialization;

namespace NitroLive.Web.Hubs;

// Wire shapes of /hubs/live. [DataMember] names make MessagePack maps use the same camelCase keys as JSON.
// Enums travel as strings ("owner", "perRequest", "jpeg") so every client library reads them alike.

/// <summary>Arguments of <c>CreateSession</c>.</summary>
[DataContract]
public sealed class CreateSessionMessage
{
    /// <summary>The owner's display name (optional).</summary>
    [DataMember(Name = "displayName")]
    public string? DisplayName { get; set; }

    /// <summary>Changes to the default first request (optional).</summary>
    [DataMember(Name = "initial")]
    public RequestPatchMessage? Initial { get; set; }

    /// <summary>Whether others may join as typists without a grant (default true).</summary>
    [DataMember(Name = "typingOpen")]
    public bool? TypingOpen { get; set; }
}

/// <summary>Arguments of <c>JoinSession</c>.</summary>
[DataContract]
public sealed class JoinSessionMessage
{
    /// <summary>The session id.</summary>
    [DataMember(Name = "sessionId")]
    public string? SessionId { get; set; }

    /// <summary>"viewer" (default), "typist" or "owner".</summary>
    [DataMember(Name = "role")]
    public string? Role { get; set; }

    /// <summary>The name other members see (optional).</summary>
    [DataMember(Name = "displayName")]
    public string? DisplayName { get; set; }

    /// <summary>The owner token, only with role "owner".</summary>
    [DataMember(Name = "ownerToken")]
    public string? OwnerToken { get; set; }

    /// <summary>
    /// The guest key an earlier join in this session returned (optional): the session then knows you again, with the
    /// role and name you had, whether <see cref="Role"/> asks for "viewer" or "typist" (an "owner" join ignores it).
    /// </summary>
    [DataMember(Name = "guestKey")]
    public string? GuestKey { get; set; }
}

/// <summary>A partial request change: absent (null) fields keep their value.</summary>
[DataContract]
public sealed class RequestPatchMessage
{
    /// <summary>New prompt.</summary>
    [DataMember(Name = "prompt")]
    public string? Prompt { get; set; }

    /// <summary>New step count.</summary>
    [DataMember(Name = "steps")]
    public int? Steps { get; set; }

    /// <summary>"fixed" or "perRequest".</summary>
    [DataMember(Name = "seedMode")]
    public string? SeedMode { get; set; }

    /// <summary>New fixed seed, 0 to 2^53 - 1.</summary>
    [DataMember(Name = "seed")]
    public long? Seed { get; set; }

    /// <summary>New width (with <see cref="Height"/>).</summary>
    [DataMember(Name = "width")]
    public int? Width { get; set; }

    /// <summary>New height (with <see cref="Width"/>).</summary>
    [DataMember(Name = "height")]
    public int? Height { get; set; }

    /// <summary>Model variant; must be the loaded one.</summary>
    [DataMember(Name = "modelVariant")]
    public string? ModelVariant { get; set; }

    /// <summary>Turns drafts while typing on or off (see <see cref="RequestMessage.DraftWhileTyping"/>).</summary>
    [DataMember(Name = "draftWhileTyping")]
    public bool? DraftWhileTyping { get; set; }
}

/// <summary>A request as the server holds it.</summary>
[DataContract]
public sealed class RequestMessage
{
    /// <summary>The prompt.</summary>
    [DataMember(Name = "prompt")]
    public string Prompt { get; set; } = string.Empty;

    /// <summary>Denoising steps.</summary>
    [DataMember(Name = "steps")]
    public int Steps { get; set; }

    /// <summary>"fixed" or "perRequest".</summary>
    [DataMember(Name = "seedMode")]
    public string SeedMode { get; set; } = "fixed";

    /// <summary>The seed (in a frame: the seed used).</summary>
    [DataMember(Name = "seed")]
    public long Seed { get; set; }

    /// <summary>Width in pixels.</summary>
    [DataMember(Name = "width")]
    public int Width { get; set; }

    /// <summary>Height in pixels.</summary>
    [DataMember(Name = "height")]
    public int Height { get; set; }

    /// <summary>Model variant.</summary>
    [DataMember(Name = "modelVariant")]
    public string ModelVariant { get; set; } = string.Empty;

    /// <summary>
    /// At more than one step, a new prompt is drawn in one step first (a frame with <see cref="FrameMessage.Draft"/>
    /// set) and in all its steps once typing pauses.
    /// </summary>
    [DataMember(Name = "draftWhileTyping")]
    public bool DraftWhileTyping { get; set; }
}

/// <summary>The answer to a request change.</summary>
[DataContract]
public sealed class RequestAcceptedMessage
{
    /// <summary>Id of the accepted request; frames carry the id of the request they answer.</summary>
    [DataMember(Name = "requestId")]
    public long RequestId { get; set; }

    /// <summary>The request as accepted.</summary>
    [DataMember(Name = "request")]
    public RequestMessage Request { get; set; } = new();
}

/// <summary>A member as others see it.</summary>
[DataContract]
public sealed class MemberMessage
{
    /// <summary>Member id.</summary>
    [DataMember(Name = "memberId")]
    public string MemberId { get; set; } = string.Empty;

    /// <summary>Display name.</summary>
    [DataMember(Name = "displayName")]
    public string DisplayName { get; set; } = string.Empty;

    /// <summary>"owner", "typist" or "viewer".</summary>
    [DataMember(Name = "role")]
    public string Role { get; set; } = "viewer";

    /// <summary>
    /// The member ids of the same guest's other pages (tabs of one browser, one guest key), whom the list names once;
    /// empty for a member on one page. The owner's pages are listed each on its own.
    /// </summary>
    [DataMember(Name = "otherMemberIds")]
    public List<string> OtherMemberIds { get; set; } = [];

    /// <summary>A screen showing the session (a kiosk display), not a person.</summary>
    [DataMember(Name = "isDisplay")]
    public bool IsDisplay { get; set; }
}

/// <summary>A snapshot of a session.</summary>
[DataContract]
public sealed class SessionStateMessage
{
    /// <summary>Session id.</summary>
    [DataMember(Name = "sessionId")]
    public string SessionId { get; set; } = string.Empty;

    /// <summary>Increases on every change.</summary>
    [DataMember(Name = "version")]
    public long Version { get; set; }

    /// <summary>Id of the current request.</summary>
    [DataMember(Name = "requestId")]
    public long RequestId { get; set; }

    /// <summary>The current request.</summary>
    [DataMember(Name = "request")]
    public RequestMessage Request { get; set; } = new();

    /// <summary>Members, owner first.</summary>
    [DataMember(Name = "members")]
    public List<MemberMessage> Members { get; set; } = [];

    /// <summary>Whether members may join as typists without a grant.</summary>
    [DataMember(Name = "typingOpen")]
    public bool TypingOpen { get; set; }

    /// <summary>Sequence of the newest frame, 0 before the first.</summary>
    [DataMember(Name = "lastFrameSequence")]
    public long LastFrameSequence { get; set; }

    /// <summary>The last generation failure ("generation_failed: ..."), cleared by the next frame.</summary>
    [DataMember(Name = "lastError")]
    public string? LastError { get; set; }

    /// <summary>True in the final snapshot of an ended session.</summary>
    [DataMember(Name = "isClosed")]
    public bool IsClosed { get; set; }

    /// <summary>The member whose change set the current prompt; null before anyone changed the session's initial prompt.</summary>
    [DataMember(Name = "promptBy")]
    public string? PromptBy { get; set; }
}

/// <summary>The answer to CreateSession and JoinSession.</summary>
[DataContract]
public sealed class JoinedMessage
{
    /// <summary>Session id.</summary>
    [DataMember(Name = "sessionId")]
    public string SessionId { get; set; } = string.Empty;

    /// <summary>Your member id.</summary>
    [DataMember(Name = "memberId")]
    public string MemberId { get; set; } = string.Empty;

    /// <summary>Your role.</summary>
    [DataMember(Name = "role")]
    public string Role { get; set; } = "viewer";

    /// <summary>The owner token (owners only; keep it secret).</summary>
    [DataMember(Name = "ownerToken")]
    public string? OwnerToken { get; set; }

    /// <summary>Your guest key (viewers and typists; keep it private): join with it later to be known again.</summary>
    [DataMember(Name = "guestKey")]
    public string? GuestKey { get; set; }

    /// <summary>The session as it is now.</summary>
    [DataMember(Name = "state")]
    public SessionStateMessage State { get; set; } = new();
}

/// <summary>Where the time of one frame went, in milliseconds.</summary>
[DataContract]
public sealed class TimingsMessage
{
    /// <summary>Request accepted to generator start.</summary>
    [DataMember(Name = "queueWaitMs")]
    public double QueueWaitMs { get; set; }

    /// <summary>CLIP tokenization.</summary>
    [DataMember(Name = "tokenizeMs")]
    public double TokenizeMs { get; set; }

    /// <summary>Text encoders.</summary>
    [DataMember(Name = "textEncodeMs")]
    public double TextEncodeMs { get; set; }

    /// <summary>All UNet steps.</summary>
    [DataMember(Name = "unetMs")]
    public double UnetMs { get; set; }

    /// <summary>VAE decode.</summary>
    [DataMember(Name = "decodeMs")]
    public double DecodeMs { get; set; }

    /// <summary>The whole generator call.</summary>
    [DataMember(Name = "generateMs")]
    public double GenerateMs { get; set; }

    /// <summary>JPEG/WebP encoding.</summary>
    [DataMember(Name = "imageEncodeMs")]
    public double ImageEncodeMs { get; set; }

    /// <summary>Request accepted to frame ready.</summary>
    [DataMember(Name = "totalMs")]
    public double TotalMs { get; set; }

    /// <summary>Requests in the generator call.</summary>
    [DataMember(Name = "batchSize")]
    public int BatchSize { get; set; }

    /// <summary>Prompt embeddings came from the cache.</summary>
    [DataMember(Name = "textCacheHit")]
    public bool TextCacheHit { get; set; }

    /// <summary>Execution provider.</summary>
    [DataMember(Name = "provider")]
    public string Provider { get; set; } = string.Empty;

    /// <summary>
    /// No generation ran: a picture of the same key was already made, the one on screen (the request reads exactly as it:
    /// a trailing space, a change of case, text past CLIP's 75 tokens) or one in the frame cache, and answers it; every
    /// stage time is then 0.
    /// </summary>
    [DataMember(Name = "reused")]
    public bool Reused { get; set; }

    /// <summary>The picture was decoded with the model's tiny decoder (a draft's quick picture; the full decoder's follows).</summary>
    [DataMember(Name = "tinyDecoder")]
    public bool TinyDecoder { get; set; }
}

/// <summary>One frame. With MessagePack <see cref="Image"/> is binary; with JSON it is base64 (JSON has no bytes).</summary>
[DataContract]
public sealed class FrameMessage
{
    /// <summary>Session id.</summary>
    [DataMember(Name = "sessionId")]
    public string SessionId { get; set; } = string.Empty;

    /// <summary>Per-session frame number, increasing.</summary>
    [DataMember(Name = "sequence")]
    public long Sequence { get; set; }

    /// <summary>Id of the request this frame answers.</summary>
    [DataMember(Name = "requestId")]
    public long RequestId { get; set; }

    /// <summary>The request it answers, with the seed used.</summary>
    [DataMember(Name = "request")]
    public RequestMessage Request { get; set; } = new();

    /// <summary>"jpeg" or "webp".</summary>
    [DataMember(Name = "format")]
    public string Format { get; set; } = "jpeg";

    /// <summary>"image/jpeg" or "image/webp".</summary>
    [DataMember(Name = "contentType")]
    public string ContentType { get; set; } = "image/jpeg";

    /// <summary>The encoded image.</summary>
    [DataMember(Name = "image")]
    public byte[] Image { get; set; } = [];

    /// <summary>Width in pixels.</summary>
    [DataMember(Name = "width")]
    public int Width { get; set; }

    /// <summary>Height in pixels.</summary>
    [DataMember(Name = "height")]
    public int Height { get; set; }

    /// <summary>Where the time went.</summary>
    [DataMember(Name = "timings")]
    public TimingsMessage Timings { get; set; } = new();

    /// <summary>When the frame was ready, Unix milliseconds.</summary>
    [DataMember(Name = "createdAtUnixMs")]
    public long CreatedAtUnixMs { get; set; }

    /// <summary>
    /// A one-step draft of a request with more steps: a frame of the same request id, in all its steps, follows unless
    /// a newer request comes first.
    /// </summary>
    [DataMember(Name = "draft")]
    public bool Draft { get; set; }
}

/// <summary>A model variant a request may name.</summary>
[DataContract]
public sealed class ModelVariantMessage
{
    /// <summary>The value for a request's <c>modelVariant</c> (<c>realism</c>, <c>vibrant</c>, <c>tiny</c>).</summary>
    [DataMember(Name = "name")]
    public string Name { get; set; } = string.Empty;

    /// <summary>What to show people ("Realism", "Vibrant", or the embedded model's own name).</summary>
    [DataMember(Name = "displayName")]
    public string DisplayName { get; set; } = string.Empty;

    /// <summary>Prompts that show what this variant draws well, from its model folder; may be empty.</summary>
    [DataMember(Name = "examplePrompts")]
    public List<string> ExamplePrompts { get; set; } = [];

    /// <summary>
    /// The words this variant knows (lower case), for a model trained on a few (the embedded demo model); empty when it
    /// reads any text. It ignores any other word.
    /// </summary>
    [DataMember(Name = "vocabulary")]
    public List<string> Vocabulary { get; set; } = [];

    /// <summary>
    /// This variant decodes drafts while typing with a tiny decoder of their own, so a new prompt gets a quick draft even
    /// at one step (frames with <c>draft</c> and <c>timings.tinyDecoder</c>), its full picture once typing pauses.
    /// </summary>
    [DataMember(Name = "draftsUseTinyDecoder")]
    public bool DraftsUseTinyDecoder { get; set; }
}

/// <summary>The answer to GetServerInfo: the model and the limits.</summary>
[DataContract]
public sealed class ServerInfoMessage
{
    /// <summary>Version of this protocol (1).</summary>
    [DataMember(Name = "protocolVersion")]
    public int ProtocolVersion { get; set; } = 1;

    /// <summary>Model display name.</summary>
    [DataMember(Name = "model")]
    public string Model { get; set; } = string.Empty;

    /// <summary>Model variant (the default one).</summary>
    [DataMember(Name = "modelVariant")]
    public string ModelVariant { get; set; } = string.Empty;

    /// <summary>The variants a request may name in <c>modelVariant</c>, default first.</summary>
    [DataMember(Name = "modelVariants")]
    public List<ModelVariantMessage> ModelVariants { get; set; } = [];

    /// <summary>Execution provider.</summary>
    [DataMember(Name = "provider")]
    public string Provider { get; set; } = string.Empty;

    /// <summary>Longest prompt, in UTF-16 characters.</summary>
    [DataMember(Name = "maxPromptLength")]
    public int MaxPromptLength { get; set; }

    /// <summary>Accepted step counts.</summary>
    [DataMember(Name = "allowedSteps")]
    public List<int> AllowedSteps { get; set; } = [];

    /// <summary>Accepted sizes.</summary>
    [DataMember(Name = "sizes")]
    public List<SizeMessage> Sizes { get; set; } = [];

    /// <summary>
    /// Suggested shortest time between two prompt sends while typing, milliseconds: send a keystroke after a pause at
    /// once, coalesce faster ones (a throttle, despite the name, which is kept for existing clients).
    /// </summary>
    [DataMember(Name = "clientDebounceMs")]
    public int ClientDebounceMs { get; set; }

    /// <summary>Most members per session.</summary>
    [DataMember(Name = "maxMembersPerSession")]
    public int MaxMembersPerSession { get; set; }

    /// <summary>"jpeg" or "webp".</summary>
    [DataMember(Name = "frameFormat")]
    public string FrameFormat { get; set; } = "jpeg";

    /// <summary>The request a new session starts with (its seed is drawn per session).</summary>
    [DataMember(Name = "defaultRequest")]
    public RequestMessage DefaultRequest { get; set; } = new();
}

/// <summary>An image size.</summary>
[DataContract]
public sealed class SizeMessage
{
    /// <summary>Width in pixels.</summary>
    [DataMember(Name = "width")]
    public int Width { get; set; }

    /// <summary>Height in pixels.</summary>
    [DataMember(Name = "height")]
    public int Height { get; set; }
}
