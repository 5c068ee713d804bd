using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.AspNetCore.Components.Web;
using NitroLive.Web.Security;

namespace NitroLive.Web.Components;

/// <summary>The document: head, body, scripts and the render mode of the routed pages.</summary>
public partial class App
{
    // Live pages own server-side state (sessions, frame loops), so they are not prerendered: prerendering would
    // create a session for a page that is thrown away a moment later.
    private static readonly IComponentRenderMode InteractiveNoPrerender = new InteractiveServerRenderMode(prerender: false);

    private string? _themeCss;

    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [Inject]
    private Layout.ThemeStyles ThemeStyles { get; set; } = default!;

    private IComponentRenderMode? PageRenderMode =>
        HttpContext.AcceptsInteractiveRouting() ? InteractiveNoPrerender : null;

    // The Content-Security-Policy allows inline scripts only with this response's nonce (Security/).
    private string? CspNonce => HttpContext.GetCspNonce();

    /// <inheritdoc />
    protected override async Task OnInitializedAsync()
    {
        // The kiosk is dark whatever the studio's theme: its layout fixes it, and these rules would override that.
        if (!IsKiosk)
        {
            _themeCss = await ThemeStyles.GetCssAsync();
        }
    }

    private bool IsKiosk => HttpContext.Request.Path.StartsWithSegments("/kiosk", StringComparison.OrdinalIgnoreCase);
}
