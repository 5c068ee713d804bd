namespace NitroLive.Web.Live;

/// <summary>Whether the generator has loaded and run its warm-up generation; read by /readyz.</summary>
internal sealed class LiveReadiness
{
    private volatile Snapshot _state = new(false, null, null, 0);

    public Snapshot Current => _state;

    public void MarkReady(string provider, double warmUpMs) => _state = new Snapshot(true, provider, null, warmUpMs);

    public void MarkFailed(string provider, string error) => _state = new Snapshot(false, provider, error, 0);

    internal sealed record Snapshot(bool IsReady, string? Provider, string? Error, double WarmUpMs);
}
