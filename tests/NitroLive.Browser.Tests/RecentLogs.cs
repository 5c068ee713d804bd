using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace NitroLive.Browser.Tests;

/// <summary>
/// The app server's latest log lines, kept in memory so that a browser test that times out can say what the server
/// was doing meanwhile (a CI failure is often all there is to go on). Bounded: the oldest lines go first.
/// </summary>
internal sealed class RecentLogs : ILoggerProvider
{
    private const int Capacity = 400;
    private readonly ConcurrentQueue<string> _lines = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>The kept lines, oldest first.</summary>
    public string Snapshot() => string.Join('\n', _lines);

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > Capacity && _lines.TryDequeue(out _))
        {
        }
    }

    private sealed class Logger(RecentLogs owner, string category) : ILogger
    {
        // The app's own events at Information, everyone else's warnings: enough to follow a page through its opening.
        public bool IsEnabled(LogLevel logLevel) =>
            logLevel >= (category.StartsWith("NitroLive", StringComparison.Ordinal) ? LogLevel.Information : LogLevel.Warning);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}[{eventId.Id}] {formatter(state, exception)}";
            owner.Add(exception is null ? line : line + " | " + exception.GetType().Name + ": " + exception.Message);
        }
    }
}
