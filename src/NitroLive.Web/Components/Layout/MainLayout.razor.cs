using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;

namespace NitroLive.Web.Components.Layout;

/// <summary>The studio and session layout: app bar, theme switch, model banner and an error boundary.</summary>
public sealed partial class MainLayout : IAsyncDisposable
{
    private bool _dark = true;
    private ErrorBoundary? _boundary;
    private IJSObjectReference? _app;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    private string PagePath => Navigation.ToBaseRelativePath(Navigation.Uri).Split('?', '#')[0];

    // On the studio and a shared session the prompt is what a keyboard user came for, past the banner's link; other
    // pages have no prompt, and a skip link to nothing strands the focus.
    private bool HasPrompt => PagePath.Length == 0 || PagePath.StartsWith("s/", StringComparison.Ordinal);

    private string SkipTarget => PagePath + (HasPrompt ? "#prompt" : "#main");

    private string SkipText => HasPrompt ? "Skip to the prompt" : "Skip to the content";

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            try
            {
                await _app.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The browser is gone; nothing to release there.
            }
        }
    }

    /// <inheritdoc />
    protected override void OnParametersSet() => _boundary?.Recover();

    /// <inheritdoc />
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            _app = await JS.InvokeAsync<IJSObjectReference>("import", "./js/app.js");
            var dark = await _app.InvokeAsync<string>("getTheme") != "light";
            if (dark != _dark)
            {
                _dark = dark;
                StateHasChanged();
            }
        }
    }

    private async Task ToggleThemeAsync()
    {
        _dark = !_dark;
        if (_app is not null)
        {
            await _app.InvokeVoidAsync("setTheme", _dark ? "dark" : "light");
        }
    }

    private void Recover() => _boundary?.Recover();
}
