using System.Threading.Channels;

namespace NitroLive.Web.Components.Services;

/// <summary>
/// Turns keystrokes into prompt sends, at most one per <c>interval</c>: a keystroke after a pause goes out at once, and
/// keystrokes closer together than that (key repeat, a burst, a paste) are coalesced into one send when the interval
/// since the last send is over, the newest text only (a bounded channel of one, oldest dropped): nothing queues up with
/// typing speed. A throttle, not a debounce: waiting for typing to pause would add the pause to every picture.
/// </summary>
internal sealed class PromptThrottle : IAsyncDisposable
{
    private readonly Channel<string> _edits = Channel.CreateBounded<string>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private readonly Func<string, Task> _send;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public PromptThrottle(Func<string, Task> send, TimeSpan interval, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(send);
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.Zero);
        _send = send;
        _interval = interval;
        _time = time;
        _loop = RunAsync(_stop.Token);
    }

    /// <summary>Records the newest text of the field; an older text not yet sent is dropped.</summary>
    public void Push(string text) => _edits.Writer.TryWrite(text);

    public async ValueTask DisposeAsync()
    {
        _edits.Writer.TryComplete();
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Leaving mid-wait is the normal way out.
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _edits.Reader;
        long? lastSend = null;
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            // Within the interval of the last send the edit waits for its end; newer edits replace it meanwhile.
            if (lastSend is { } sent && _interval - _time.GetElapsedTime(sent) is { Ticks: > 0 } left)
            {
                await Task.Delay(left, _time, cancellationToken);
            }

            if (!reader.TryRead(out var text))
            {
                continue;
            }

            lastSend = _time.GetTimestamp();
            await _send(text);
        }
    }
}
