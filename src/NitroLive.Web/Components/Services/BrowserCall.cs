namespace NitroLive.Web.Components.Services;

/// <summary>The cancellation of one JS interop call (see <see cref="CircuitConnection.StartCall"/>). Dispose it after the call.</summary>
internal sealed class BrowserCall : IDisposable
{
    private readonly CancellationTokenSource _timeout;
    private readonly CancellationTokenSource _linked;

    public BrowserCall(TimeProvider time, TimeSpan timeout, CancellationToken cancellationToken, CancellationToken dropped)
    {
        _timeout = new CancellationTokenSource(timeout, time);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, dropped, _timeout.Token);
    }

    public CancellationToken Token => _linked.Token;

    public void Dispose()
    {
        _linked.Dispose();
        _timeout.Dispose();
    }
}
