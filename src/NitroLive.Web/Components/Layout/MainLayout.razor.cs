using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;
using NitroLive.Web.Components.Services;

namespace NitroLive.Web.Components.Layout;

/// <summary>The studio and session layout: app bar, theme switch, model banner and an error boundary.</summary>
public sealed partial class MainLayout : IAsyncDisposable
{
    private bool _dark = true;
    private bool _themeKnown;
    private ErrorBoundary? _boundary;
    private IJSObjectReference? _app;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    // The layout's browser calls are bounded like the pages': an answer lost with the connection must not become an
    // unhandled error a minute later, which would end the circuit (the layout is outside its own error boundary).
    [Inject]
    private CircuitConnection Connection { get; set; } = default!;

    /// <summary>Where a page renders skip links of its own, ahead of the layout's link to the page's main content.</summary>
    public const string SkipLinksSection = "skip-links";

    private string SkipTarget => SkipLinkTo(Navigation, "main");

    /// <summary>
    /// A skip link's address for an element of the current page: the page's own path and the element's id, since a bare
    /// <c>#id</c> resolves against the document's base address (the studio), not the page.
    /// </summary>
    internal static string SkipLinkTo(NavigationManager navigation, string id) =>
        navigation.ToBaseRelativePath(navigation.Uri).Split('?', '#')[0] + "#" + id;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await Connection.ReleaseAsync(_app);
        }
    }

    /// <inheritdoc />
    protected override void OnParametersSet() => _boundary?.Recover();

    /// <inheritdoc />
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        try
        {
            using var call = Connection.StartCall(CancellationToken.None);
            _app = await JS.InvokeAsync<IJSObjectReference>("import", call.Token, "./js/app.js");
            _dark = await _app.InvokeAsync<string>("getTheme", call.Token) != "light";
        }
        catch (Exception ex) when (ex is OperationCanceledException or JSException or JSDisconnectedException)
        {
            // The stored theme could not be read: the switch shows the default (dark) icon. The colours follow the
            // document's data-theme (ThemeStyles), which the inline script set before the first paint.
        }

        _themeKnown = true;
        StateHasChanged();
    }

    private async Task ToggleThemeAsync()
    {
        _dark = !_dark;
        if (_app is not null)
        {
            try
            {
                using var call = Connection.StartCall(CancellationToken.None);
                await _app.InvokeVoidAsync("setTheme", call.Token, _dark ? "dark" : "light");
            }
            catch (Exception ex) when (ex is OperationCanceledException or JSException or JSDisconnectedException)
            {
                // Lost with the connection: the page keeps its colours, and pressing the switch again once it is back works.
            }
        }
    }

    private void Recover() => _boundary?.Recover();
}
