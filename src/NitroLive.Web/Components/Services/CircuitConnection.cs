using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.JSInterop;

namespace NitroLive.Web.Components.Services;

/// <summary>
/// Whether this circuit's browser is connected right now. A JS interop call that is in flight when the socket drops,
/// or sent while it is down, is never answered: Blazor resends render batches after a reconnection, not interop
/// calls. Browser calls are therefore tied to <see cref="Dropped"/> (they end the moment the connection goes), and a
/// page that lost a call waits for <see cref="WaitUntilConnectedAsync"/> before trying again.
/// </summary>
/// <remarks>One per circuit (scoped), registered as a <see cref="CircuitHandler"/> too.</remarks>
internal sealed class CircuitConnection : CircuitHandler, IDisposable
{
    /// <summary>How long any one browser call may take before the page stops waiting for it.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private CancellationTokenSource _dropped = new();
    private TaskCompletionSource _connected = NewSignal();

    public CircuitConnection(TimeProvider time)
    {
        _time = time;
        _connected.SetResult();
    }

    /// <summary>True unless the browser's connection is down (a new circuit starts connected).</summary>
    public bool IsConnected
    {
        get
        {
            lock (_lock)
            {
                return _connected.Task.IsCompleted;
            }
        }
    }

    /// <summary>Cancelled when the current connection goes down; a fresh token follows each reconnection.</summary>
    public CancellationToken Dropped
    {
        get
        {
            lock (_lock)
            {
                return _dropped.Token;
            }
        }
    }

    /// <summary>
    /// A token for one browser call: cancelled by <paramref name="cancellationToken"/>, when the connection drops (the
    /// answer would never come), or after <see cref="CallTimeout"/> (a browser too busy or hidden to answer).
    /// </summary>
    public BrowserCall StartCall(CancellationToken cancellationToken) => new(_time, CallTimeout, cancellationToken, Dropped);

    /// <summary>
    /// Releases a browser module while a component goes away: <paramref name="beforeRelease"/> (a module's own cleanup,
    /// optional), then the module reference, both within one call's bound. An unanswered call (a connection down for the
    /// moment while an error boundary swaps the page out) would otherwise fail the disposal after Blazor's minute, and
    /// an exception out of a disposal ends the whole circuit: so a browser that fails the cleanup is let go too.
    /// </summary>
    public async ValueTask ReleaseAsync(IJSObjectReference module, Func<IJSObjectReference, CancellationToken, Task>? beforeRelease = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var call = StartCall(CancellationToken.None);
        try
        {
            if (beforeRelease is not null)
            {
                await beforeRelease(module, call.Token).WaitAsync(call.Token);
            }

            await module.DisposeAsync().AsTask().WaitAsync(call.Token);
        }
        catch (Exception ex) when (ex is JSDisconnectedException or OperationCanceledException or JSException)
        {
            // The browser is gone, did not answer or failed: what it held goes with the page or its next reload.
        }
    }

    /// <summary>Completes at once while connected, else when the browser reconnects.</summary>
    public Task WaitUntilConnectedAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _connected.Task.WaitAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        Down();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        Up();
        return Task.CompletedTask;
    }

    internal void Down()
    {
        CancellationTokenSource dropped;
        lock (_lock)
        {
            if (!_connected.Task.IsCompleted)
            {
                return;
            }

            _connected = NewSignal();
            dropped = _dropped;
        }

        // Outside the lock: cancelling runs the callbacks of every call that was waiting on the browser.
        dropped.Cancel();
    }

    internal void Up()
    {
        TaskCompletionSource connected;
        lock (_lock)
        {
            if (_connected.Task.IsCompleted)
            {
                return;
            }

            _dropped.Dispose();
            _dropped = new CancellationTokenSource();
            connected = _connected;
        }

        connected.SetResult();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Registered twice (as itself and as a circuit handler), so disposed twice; CancellationTokenSource allows it.
        lock (_lock)
        {
            _dropped.Dispose();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
