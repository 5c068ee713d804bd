using System.Runtime.Serialization;

namespace NitroLive.Cli.Commands;

// Public because MessagePack builds formatters only for public types.
// The parts of /hubs/live's wire shapes (docs/hub-protocol.md) the live benchmark reads. The CLI does not reference
// the web app: a benchmark client must see the server exactly as any other client does. Unknown keys are ignored.

[DataContract]
public sealed class BenchJoined
{
    [DataMember(Name = "sessionId")]
    public string SessionId { get; set; } = string.Empty;

    [DataMember(Name = "memberId")]
    public string MemberId { get; set; } = string.Empty;
}

[DataContract]
public sealed class BenchRequestAccepted
{
    [DataMember(Name = "requestId")]
    public long RequestId { get; set; }
}

[DataContract]
public sealed class BenchRequest
{
    [DataMember(Name = "prompt")]
    public string Prompt { get; set; } = string.Empty;

    [DataMember(Name = "steps")]
    public int Steps { get; set; }

    [DataMember(Name = "width")]
    public int Width { get; set; }

    [DataMember(Name = "height")]
    public int Height { get; set; }
}

[DataContract]
public sealed class BenchTimings
{
    [DataMember(Name = "queueWaitMs")]
    public double QueueWaitMs { get; set; }

    [DataMember(Name = "generateMs")]
    public double GenerateMs { get; set; }

    [DataMember(Name = "imageEncodeMs")]
    public double ImageEncodeMs { get; set; }

    [DataMember(Name = "totalMs")]
    public double TotalMs { get; set; }

    [DataMember(Name = "batchSize")]
    public int BatchSize { get; set; }

    [DataMember(Name = "textCacheHit")]
    public bool TextCacheHit { get; set; }

    [DataMember(Name = "provider")]
    public string Provider { get; set; } = string.Empty;
}

[DataContract]
public sealed class BenchFrame
{
    [DataMember(Name = "sequence")]
    public long Sequence { get; set; }

    [DataMember(Name = "requestId")]
    public long RequestId { get; set; }

    [DataMember(Name = "request")]
    public BenchRequest Request { get; set; } = new();

    [DataMember(Name = "image")]
    public byte[] Image { get; set; } = [];

    [DataMember(Name = "timings")]
    public BenchTimings Timings { get; set; } = new();

    [DataMember(Name = "createdAtUnixMs")]
    public long CreatedAtUnixMs { get; set; }
}

[DataContract]
public sealed class BenchCreateSession
{
    [DataMember(Name = "displayName")]
    public string? DisplayName { get; set; }

    [DataMember(Name = "typingOpen")]
    public bool? TypingOpen { get; set; }
}
