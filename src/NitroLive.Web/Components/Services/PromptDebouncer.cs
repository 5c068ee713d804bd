using System.Threading.Channels;

namespace NitroLive.Web.Components.Services;

/// <summary>
/// Turns keystrokes into prompt sends: a prompt goes out once typing pauses for <c>quiet</c>, and at least every
/// <c>maxWait</c> while typing goes on, so a fast typist still sees pictures follow. Only the newest text is kept
/// (a bounded channel of one, oldest dropped): nothing queues up with typing speed.
/// </summary>
internal sealed class PromptDebouncer : IAsyncDisposable
{
    private readonly Channel<string> _edits = Channel.CreateBounded<string>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private readonly Func<string, Task> _send;
    private readonly TimeSpan _quiet;
    private readonly TimeSpan _maxWait;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public PromptDebouncer(Func<string, Task> send, TimeSpan quiet, TimeSpan maxWait, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(send);
        ArgumentOutOfRangeException.ThrowIfLessThan(quiet, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWait, quiet);
        _send = send;
        _quiet = quiet;
        _maxWait = maxWait;
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
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            if (!reader.TryRead(out var text))
            {
                continue;
            }

            var firstEdit = _time.GetTimestamp();
            while (true)
            {
                var left = _maxWait - _time.GetElapsedTime(firstEdit);
                var wait = left < _quiet ? left : _quiet;
                if (wait <= TimeSpan.Zero || !await MoreTypingWithinAsync(wait, cancellationToken))
                {
                    break;
                }

                if (reader.TryRead(out var newer))
                {
                    text = newer;
                }
            }

            await _send(text);
        }
    }

    // True when another edit arrives before the wait is over.
    private async Task<bool> MoreTypingWithinAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        using var waitOver = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(wait, _time, waitOver.Token);
        var edit = _edits.Reader.WaitToReadAsync(waitOver.Token).AsTask();
        var first = await Task.WhenAny(delay, edit);
        await waitOver.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
        return first == edit && edit.IsCompletedSuccessfully && edit.Result;
    }
}
