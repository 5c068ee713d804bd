using Microsoft.AspNetCore.Components.Web;

namespace NitroLive.Web.Components.Layout;

/// <summary>Full-screen layout of the kiosk: dark, chrome-free, and self-healing.</summary>
public sealed partial class KioskLayout
{
    private ErrorBoundary? _boundary;

    /// <inheritdoc />
    protected override void OnParametersSet() => _boundary?.Recover();

    private void Recover() => _boundary?.Recover();
}
