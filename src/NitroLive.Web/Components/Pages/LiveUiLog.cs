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
}
