using NitroLive.Web.Live;

namespace NitroLive.Web.Components.Pages;

/// <summary>
/// The pages' log events. Session ids are capabilities: every method takes the full id and logs only its short prefix
/// (<see cref="LiveIds.ForLog"/>); text that comes from the browser is made one safe line (<see cref="LiveIds.TextForLog"/>).
/// </summary>
internal static partial class LiveUiLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Opening a live session was refused ({Code}): {Reason}")]
    public static partial void OpenRefused(ILogger logger, string code, string reason);

    public static void FrameNotShown(ILogger logger, string sessionId, long sequence, string reason)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            FrameNotShownCore(logger, LiveIds.ForLog(sessionId), sequence, LiveIds.TextForLog(reason));
        }
    }

    public static void PromptBlocked(ILogger logger, string sessionId)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            var id = LiveIds.ForLog(sessionId);
            PromptBlockedCore(logger, id);
        }
    }

    public static void AttractStarted(ILogger logger, string sessionId)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            var id = LiveIds.ForLog(sessionId);
            AttractStartedCore(logger, id);
        }
    }

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Opening the page's session waited on the browser in vain (attempt {Attempt}); trying again once connected")]
    public static partial void OpenRetried(ILogger logger, int attempt);

    public static void FrameUnanswered(ILogger logger, string sessionId, long sequence, bool dropped)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            var id = LiveIds.ForLog(sessionId);
            FrameUnansweredCore(logger, id, sequence, dropped);
        }
    }

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Kiosk tick failed; the kiosk goes on")]
    public static partial void KioskTickFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information, Message = "The browser did not give back the history it kept; the strip starts empty")]
    public static partial void HistoryNotRestored(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Warning, Message = "The theme's palette rules for the document could not be made; a light-theme page shows dark colours until its circuit's first render")]
    public static partial void ThemeStylesNotMade(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Frame {Sequence} of session {SessionId}... could not be shown: {Reason}")]
    private static partial void FrameNotShownCore(ILogger logger, string sessionId, long sequence, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Kiosk {SessionId}... refused a blocked prompt")]
    private static partial void PromptBlockedCore(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Kiosk {SessionId}... entered attract mode")]
    private static partial void AttractStartedCore(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Frame {Sequence} of session {SessionId}... was not answered by the browser (connection dropped: {Dropped}); the newest frame follows once connected")]
    private static partial void FrameUnansweredCore(ILogger logger, string sessionId, long sequence, bool dropped);
}
