using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace NitroLive.Web.Tests.Reliability;

/// <summary>A logger provider for a test host that keeps every line at or above a level, with its event id.</summary>
internal sealed class CapturedLogs(LogLevel minimum) : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<(int EventId, string Message)> _lines = new();

    /// <summary>The messages logged with <paramref name="eventId"/>, in order.</summary>
    public IReadOnlyList<string> Lines(int eventId) => [.. _lines.Where(l => l.EventId == eventId).Select(l => l.Message)];

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            _lines.Enqueue((eventId.Id, formatter(state, exception)));
        }
    }

    public void Dispose()
    {
    }
}
