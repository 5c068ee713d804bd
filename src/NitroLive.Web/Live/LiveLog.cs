namespace NitroLive.Web.Live;

/// <summary>Log messages of the live service. Event ids are stable: 1000-1099.</summary>
internal static partial class LiveLog
{
    [LoggerMessage(1000, LogLevel.Information, "Session {SessionId}... created; {Count} open")]
    public static partial void SessionCreated(ILogger logger, string sessionId, int count);

    [LoggerMessage(1001, LogLevel.Information, "Session {SessionId}... closed ({Reason}); {Count} open")]
    public static partial void SessionClosed(ILogger logger, string sessionId, string reason, int count);

    [LoggerMessage(1002, LogLevel.Debug, "Member joined session {SessionId}... as {Role}")]
    public static partial void MemberJoined(ILogger logger, string sessionId, LiveRole role);

    [LoggerMessage(1010, LogLevel.Information, "Generator warmed up: {Model} ({Variant}) on {Provider} in {ElapsedMs:F0} ms; max batch {MaxBatch}")]
    public static partial void WarmedUp(ILogger logger, string model, string variant, string provider, double elapsedMs, int maxBatch);

    [LoggerMessage(1011, LogLevel.Error, "Generator warm-up failed: {Model} on {Provider}")]
    public static partial void WarmUpFailed(ILogger logger, Exception exception, string model, string provider);

    [LoggerMessage(1020, LogLevel.Error, "Generation of a batch of {BatchSize} failed")]
    public static partial void GenerationFailed(ILogger logger, Exception exception, int batchSize);

    [LoggerMessage(1021, LogLevel.Debug, "Generation of a batch of {BatchSize} cancelled: nobody is waiting for it")]
    public static partial void GenerationCancelled(ILogger logger, int batchSize);

    [LoggerMessage(1022, LogLevel.Error, "The generator returned {Actual} results for {Expected} requests")]
    public static partial void WrongResultCount(ILogger logger, int expected, int actual);

    [LoggerMessage(1023, LogLevel.Warning, "A batch of {BatchSize} failed: running its requests one by one")]
    public static partial void RetryingOneByOne(ILogger logger, int batchSize);

    [LoggerMessage(1030, LogLevel.Error, "Encoding a frame of session {SessionId}... failed")]
    public static partial void EncodeFailed(ILogger logger, Exception exception, string sessionId);

    [LoggerMessage(1031, LogLevel.Error, "Encoding and publishing a generated batch of {Count} failed; the encode stage goes on")]
    public static partial void EncodeBatchFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(1040, LogLevel.Information, "Generation loop started: batching {Batching}, max batch {MaxBatch}")]
    public static partial void LoopStarted(ILogger logger, bool batching, int maxBatch);

    [LoggerMessage(1041, LogLevel.Information, "Generation loop stopped")]
    public static partial void LoopStopped(ILogger logger);

    [LoggerMessage(1050, LogLevel.Debug, "Hub call {Method} refused: {Code}")]
    public static partial void HubCallRefused(ILogger logger, string method, string code);

    [LoggerMessage(1051, LogLevel.Debug, "Hub connection {ConnectionId} left {Count} session(s) on disconnect")]
    public static partial void HubDisconnected(ILogger logger, string connectionId, int count);
}
