using Microsoft.Extensions.Logging;
using NitroLive.Web.Components.Pages;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Components;

/// <summary>
/// The pages' log lines: a session id is the capability to watch (and, with typing open, to type), so only its prefix is
/// logged; a browser's error text cannot start a forged line.
/// </summary>
public sealed class LiveUiLogTests
{
    private const string SessionId = "AbCdEfGhIjKlMnOpQrStUv";

    [Fact]
    public void PageEventsLogOnlyASessionIdsPrefix()
    {
        var logger = new LineLogger();

        LiveUiLog.FrameNotShown(logger, SessionId, 3, "decode failed");
        LiveUiLog.FrameUnanswered(logger, SessionId, 4, dropped: true);
        LiveUiLog.PromptBlocked(logger, SessionId);
        LiveUiLog.AttractStarted(logger, SessionId);

        Assert.Equal(4, logger.Lines.Count);
        Assert.All(logger.Lines, line =>
        {
            Assert.DoesNotContain(SessionId, line, StringComparison.Ordinal);
            Assert.Contains(LiveIds.ForLog(SessionId) + "...", line, StringComparison.Ordinal);
        });
        Assert.Equal([3002, 3006, 3003, 3004], logger.EventIds);
    }

    [Fact]
    public void ABrowsersErrorTextStaysOnItsOwnLineAndIsCut()
    {
        var logger = new LineLogger();

        LiveUiLog.FrameNotShown(logger, SessionId, 3, "bad frame\r\ninfo: NitroLive.Web[1000] forged\u001b[31m\u2028\u202E" + new string('x', 500));

        var line = Assert.Single(logger.Lines);
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
        Assert.DoesNotContain('\u001b', line);
        Assert.DoesNotContain('\u2028', line); // a line separator some viewers break on
        Assert.DoesNotContain('\u202E', line); // a bidi override that reorders what a reader sees
        Assert.True(line.Length < 400, line);
    }

    [Fact]
    public void TextIsNeverCutInsideASurrogatePair()
    {
        var text = new string('a', 199) + "\U0001F600" + "tail";

        var cut = LiveIds.TextForLog(text, maxLength: 200);

        Assert.Equal(new string('a', 199) + "...", cut);
    }

    private sealed class LineLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public List<int> EventIds { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Lines.Add(formatter(state, exception));
            EventIds.Add(eventId.Id);
        }
    }
}
