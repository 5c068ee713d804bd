using System.ComponentModel.DataAnnotations;

namespace NitroLive.Web.Live;

/// <summary>Options of the live service, bound from <c>NitroLive:Live</c> and validated at startup.</summary>
public sealed class LiveOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "NitroLive:Live";

    /// <summary>Longest prompt accepted, in UTF-16 characters.</summary>
    [Range(1, 10_000)]
    public int MaxPromptLength { get; set; } = 500;

    /// <summary>Most sessions the server holds at once; creating one more is refused.</summary>
    [Range(1, 100_000)]
    public int MaxSessions { get; set; } = 256;

    /// <summary>Most members one session holds.</summary>
    [Range(1, 10_000)]
    public int MaxMembersPerSession { get; set; } = 64;

    /// <summary>
    /// Most sessions one hub connection may be a member of at once (created or joined), and most sessions it created
    /// that are still open (a session its owner left stays open <see cref="EmptySessionGraceSeconds"/>): without it one
    /// connection could take every one of <see cref="MaxSessions"/>. Many connections can still add up to
    /// <see cref="MaxSessions"/>; limit connections per client at the proxy where that matters.
    /// </summary>
    [Range(1, 1_000)]
    public int MaxSessionsPerConnection { get; set; } = 8;

    /// <summary>
    /// Step counts accepted, each 1 to 4, further limited to what the model supports; empty means 1 to 4.
    /// (Empty by default because the configuration binder appends to, rather than replaces, a non-empty default array.)
    /// </summary>
    public int[] AllowedSteps { get; set; } = [];

    /// <summary>Steps of a new session's first request.</summary>
    [Range(1, 4)]
    public int DefaultSteps { get; set; } = 1;

    /// <summary>Seed mode of a new session.</summary>
    public SeedMode DefaultSeedMode { get; set; } = SeedMode.Fixed;

    /// <summary>
    /// Whether a new session starts with drafts while typing (<see cref="LiveRequest.DraftWhileTyping"/>): at more than
    /// one step, each new prompt is drawn in one step first and in all its steps once typing pauses for
    /// <see cref="RefineAfterMs"/>. A session turns it off or on with its request.
    /// </summary>
    public bool DraftWhileTyping { get; set; } = true;

    /// <summary>How long typing must pause before a draft's full-step picture is made, in milliseconds.</summary>
    [Range(50, 10_000)]
    public int RefineAfterMs { get; set; } = 300;

    /// <summary>Format frames are encoded in.</summary>
    public FrameFormat FrameFormat { get; set; } = FrameFormat.Jpeg;

    /// <summary>JPEG quality, 1 to 100.</summary>
    [Range(1, 100)]
    public int JpegQuality { get; set; } = 85;

    /// <summary>WebP quality, 1 to 100.</summary>
    [Range(1, 100)]
    public int WebpQuality { get; set; } = 80;

    /// <summary>
    /// Shortest time clients should leave between two prompt sends while typing, in milliseconds: a throttle, so a
    /// keystroke after a pause goes out at once and faster keystrokes are coalesced (the newest text at the end of the
    /// interval). Short, because the server keeps only the newest request per session: extra requests cost nothing but
    /// a slot overwrite. The name is the protocol's (<c>clientDebounceMs</c>), kept for existing clients.
    /// </summary>
    [Range(0, 1000)]
    public int ClientDebounceMs { get; set; } = 40;

    /// <summary>
    /// How long a session with no members is kept (so an owner can reconnect with the owner token), in seconds.
    /// </summary>
    [Range(0, 86_400)]
    public int EmptySessionGraceSeconds { get; set; } = 60;

    /// <summary>
    /// Whether the generation loop batches equal-shape requests of different sessions (when the model allows batch &gt; 1).
    /// Off by default: on CUDA, ONNX Runtime 1.31's cuDNN 9 convolutions plan again whenever a call's batch size differs
    /// from the previous call's, and a live service's batch size changes from call to call. GPU run 6 (docs/performance.md)
    /// measured four typists at 1024 with batching at 1.2 s a call against 0.34 s for a steady batch of four; each
    /// session's own call (50 ms at 1024 there) is expected to serve them sooner (not yet measured with four typists).
    /// On the CPU batching measured no gain either.
    /// </summary>
    public bool EnableBatching { get; set; }

    /// <summary>
    /// With <see cref="EnableBatching"/>, whether to batch on the CPU provider too. Off by default: on CPU a batched call
    /// measured no faster than one call per session (bench/results/live-batching), because the CPU is already busy at batch 1.
    /// </summary>
    public bool BatchOnCpu { get; set; }

    /// <summary>Largest batch the loop builds; the model's <c>MaxBatch</c> caps it further.</summary>
    [Range(1, 64)]
    public int MaxBatch { get; set; } = 8;

    /// <summary>
    /// How long the hub waits for one send to a client to complete before it closes the connection (SignalR's
    /// TransportSendTimeout): a client that stops reading keeps its one-frame mailbox until then, and is dropped after.
    /// </summary>
    [Range(1, 3600)]
    public int HubSendTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Whether a generation whose every request a newer request of its session superseded is cancelled, so the newer
    /// one starts at once; only when no other session waits for the generator (the newer request would queue behind
    /// them anyway), and never a session's run twice in a row, so fast typing still shows frames.
    /// </summary>
    public bool CancelSupersededRuns { get; set; } = true;

    /// <summary>
    /// Whether a request that would make exactly a picture already made is answered with that picture at once instead
    /// of a generation: same seed (fixed-seed mode), size, steps and variant, and a prompt the model's tokenizers read
    /// the same (the same text, a trailing space, a change of case, letters past CLIP's 75 tokens). The picture on screen
    /// always counts; earlier ones while the <see cref="FrameCacheMegabytes"/> hold them.
    /// </summary>
    public bool ReuseFrameForAlikePrompt { get; set; } = true;

    /// <summary>
    /// Memory for recently generated pictures (encoded frame plus full-quality pixels), so a backspace to a prompt typed a
    /// moment ago or a kiosk playlist coming round needs no generation; 0 keeps only each session's picture on screen.
    /// A 128x128 picture of the embedded model takes about 50 KB, a 1024x1024 one about 3.2 MB: raise it for real models.
    /// </summary>
    [Range(0, 1_048_576)]
    public int FrameCacheMegabytes { get; set; } = 64;

    /// <summary>
    /// Full-quality PNG downloads (any route) of different frames that may wait for the server's download encoder at
    /// once, each holding a copy of its frame's pixels; more are refused with <see cref="LiveErrorCode.Busy"/> (HTTP 503).
    /// Callers asking for the same frame share one place.
    /// </summary>
    [Range(1, 1_000)]
    public int MaxPendingDownloads { get; set; } = FullQualityPngs.DefaultMaxPending;

    /// <summary>How many frames of one batch are encoded in parallel.</summary>
    [Range(1, 64)]
    public int EncoderParallelism { get; set; } = 2;
}
