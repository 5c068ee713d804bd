namespace NitroLive.Web.Live;

/// <summary>Whether the generator has loaded and run its warm-up generation; read by /readyz.</summary>
internal sealed class LiveReadiness
{
    private volatile Snapshot _state = new(false, null, null, 0);

    public Snapshot Current => _state;

    public void MarkReady(string provider, double warmUpMs) => _state = new Snapshot(true, provider, null, warmUpMs);

    public void MarkFailed(string provider, string error) => _state = new Snapshot(false, provider, error, 0);

    /// <summary>
    /// A generation succeeded: when the warm-up had failed, the fault has passed and the generator is ready after all
    /// (a load balancer would otherwise keep every user away from a server that serves).
    /// </summary>
    public void MarkGenerated(string provider)
    {
        var state = _state;
        if (!state.IsReady && state.Error is not null)
        {
            _state = new Snapshot(true, provider, null, 0) { RecoveredFrom = state.Error };
        }
    }

    internal sealed record Snapshot(bool IsReady, string? Provider, string? Error, double WarmUpMs)
    {
        /// <summary>The warm-up's error, when a later generation made the generator ready instead.</summary>
        public string? RecoveredFrom { get; init; }
    }
}
