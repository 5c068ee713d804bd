namespace NitroLive.Web.Components.Pages;

internal static partial class LiveUiLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Opening a live session was refused ({Code}): {Reason}")]
    public static partial void OpenRefused(ILogger logger, string code, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Frame {Sequence} of session {SessionId} could not be shown: {Reason}")]
    public static partial void FrameNotShown(ILogger logger, string sessionId, long sequence, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Kiosk {SessionId} refused a blocked prompt")]
    public static partial void PromptBlocked(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Kiosk {SessionId} entered attract mode")]
    public static partial void AttractStarted(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Opening the page's session waited on the browser in vain (attempt {Attempt}); trying again once connected")]
    public static partial void OpenRetried(ILogger logger, int attempt);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Frame {Sequence} of session {SessionId} was not answered by the browser (connection dropped: {Dropped}); the newest frame follows once connected")]
    public static partial void FrameUnanswered(ILogger logger, string sessionId, long sequence, bool dropped);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Kiosk tick failed; the kiosk goes on")]
    public static partial void KioskTickFailed(ILogger logger, Exception exception);
}
