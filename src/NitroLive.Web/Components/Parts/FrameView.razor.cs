using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using NitroLive.Web.Components.Services;
using NitroLive.Web.Live;

namespace NitroLive.Web.Components.Parts;

/// <summary>
/// The live picture: a canvas fed by wwwroot/js/frames.js. Frames go to the browser as binary (byte[] over JS
/// interop), are decoded there with createImageBitmap and drawn only once decoded, so the old picture stays until
/// the new one is ready. Nothing of the image passes through the render tree.
/// </summary>
public sealed partial class FrameView : IAsyncDisposable
{
    // Tries at loading frames.js, each bounded by one browser call: a connection that drops while the page loads would
    // otherwise leave the import unanswered for Blazor's minute, and its failure would then end the circuit.
    private const int MaxImportAttempts = 3;

    private readonly TaskCompletionSource<IJSObjectReference> _module = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _gone = new();
    private ElementReference _canvas;
    private bool _disposed;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    // Every call here ends when the connection drops (its answer would never come) or after a few seconds (a hidden
    // tab), so the caller can move on to the newest frame instead of waiting forever.
    [Inject]
    private CircuitConnection Connection { get; set; } = default!;

    /// <summary>Accessible description of the picture (usually the prompt it shows).</summary>
    [Parameter]
    public string? Label { get; set; }

    /// <summary>Text shown before the first frame.</summary>
    [Parameter]
    public string Placeholder { get; set; } = "Waiting for the first picture…";

    /// <summary>Whether to show a spinner with the placeholder.</summary>
    [Parameter]
    public bool Waiting { get; set; } = true;

    /// <summary>Width of the expected picture, for the box's aspect ratio before the first frame.</summary>
    [Parameter]
    public int Width { get; set; } = 1;

    /// <summary>Height of the expected picture, for the box's aspect ratio before the first frame.</summary>
    [Parameter]
    public int Height { get; set; } = 1;

    /// <summary>How many frames the view keeps as thumbnails for the history strip.</summary>
    [Parameter]
    public int HistoryLength { get; set; } = 12;

    /// <summary>
    /// Shows the placeholder in place of the picture, which the canvas keeps for when this turns false again (the studio
    /// while the prompt is empty: there is nothing to show yet, and the last picture comes back with the next one).
    /// </summary>
    [Parameter]
    public bool Blank { get; set; }

    /// <summary>Extra CSS classes.</summary>
    [Parameter]
    public string? Class { get; set; }

    /// <summary>Overlays drawn over the picture (HUD, caption).</summary>
    [Parameter]
    public RenderFragment? ChildContent { get; set; }

    /// <summary>True once a frame has been drawn.</summary>
    public bool HasFrame { get; private set; }

    private bool ShowsPicture => HasFrame && !Blank;

    /// <summary>
    /// Sends a frame to the browser and waits until it is drawn. Callers await this before offering the next frame,
    /// and read frames latest-wins meanwhile, so a slow browser skips frames instead of queueing them.
    /// </summary>
    /// <exception cref="OperationCanceledException">
    /// The browser did not answer: the connection dropped, or it took longer than <see cref="CircuitConnection.CallTimeout"/>.
    /// </exception>
    /// <returns>Decode-and-draw time in the browser, in ms.</returns>
    public async Task<double> ShowAsync(LiveFrame frame, bool keepThumbnail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var module = await _module.Task.WaitAsync(cancellationToken);
        using var call = Connection.StartCall(cancellationToken);
        var ms = await module.InvokeAsync<double>(
            "show", call.Token, _canvas, frame.Image, frame.ContentType, frame.Sequence, keepThumbnail);
        if (!HasFrame)
        {
            HasFrame = true;
            StateHasChanged();
        }

        return ms;
    }

    /// <summary>Clears the picture and the kept thumbnails (the page moved to another session): the placeholder shows again.</summary>
    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        if (_disposed)
        {
            // Out of the page already (an error took its place): nothing is left to clear, and its module is gone.
            return;
        }

        HasFrame = false;
        StateHasChanged();
        if (_module.Task.IsCompletedSuccessfully)
        {
            using var call = Connection.StartCall(cancellationToken);
            await _module.Task.Result.InvokeVoidAsync("reset", call.Token, _canvas);
        }
    }

    /// <summary>
    /// Points the history strip's thumbnails at the frames the browser kept and, with a <paramref name="saveAs"/> key,
    /// lets the browser keep the strip for a reload (in the tab's sessionStorage, thumbnails scaled down; each entry's
    /// request is read from its thumbnail's <c>data-request</c>, which the render sends once per entry, not per call).
    /// </summary>
    public async Task FillThumbnailsAsync(ElementReference container, string? saveAs, CancellationToken cancellationToken)
    {
        if (!_disposed && _module.Task.IsCompletedSuccessfully)
        {
            using var call = Connection.StartCall(cancellationToken);
            await _module.Task.Result.InvokeVoidAsync("fillThumbs", call.Token, _canvas, container, saveAs);
        }
    }

    /// <summary>
    /// The history the browser kept under <paramref name="key"/> before a reload (see <see cref="SavedHistory"/>), its
    /// thumbnails ready to show; none when nothing was kept.
    /// </summary>
    internal async Task<IReadOnlyList<HistoryItem>> RestoreThumbnailsAsync(string key, int limit, int maxPromptLength, CancellationToken cancellationToken)
    {
        if (_disposed)
        {
            return [];
        }

        // One call's bound for the module too: the first frame waits for this, and a history is not worth a long wait.
        using var call = Connection.StartCall(cancellationToken);
        var module = await _module.Task.WaitAsync(call.Token);
        var saved = await module.InvokeAsync<string?>("restoreThumbs", call.Token, _canvas, key, limit, maxPromptLength);
        return SavedHistory.Parse(saved, limit, maxPromptLength);
    }

    /// <summary>Lets the browser save bytes as a file.</summary>
    public async Task SaveBytesAsync(byte[] bytes, string contentType, string fileName, CancellationToken cancellationToken)
    {
        var module = await _module.Task.WaitAsync(cancellationToken);
        using var call = Connection.StartCall(cancellationToken);
        await module.InvokeVoidAsync("saveBytes", call.Token, bytes, contentType, fileName);
    }

    /// <summary>Saves what the canvas shows as a PNG (when the server no longer holds the frame).</summary>
    public async Task<bool> SaveCanvasAsync(string fileName, CancellationToken cancellationToken)
    {
        var module = await _module.Task.WaitAsync(cancellationToken);
        using var call = Connection.StartCall(cancellationToken);
        return await module.InvokeAsync<bool>("saveCanvas", call.Token, _canvas, fileName);
    }

    /// <summary>
    /// Copies a picture to the clipboard: <paramref name="png"/>, or what the canvas shows when null. Returns how it went:
    /// "copied", "insecure" (a plain-http page of another machine has no clipboard), "unsupported" or "refused".
    /// </summary>
    public async Task<string> CopyPictureAsync(byte[]? png, CancellationToken cancellationToken)
    {
        var module = await _module.Task.WaitAsync(cancellationToken);
        using var call = Connection.StartCall(cancellationToken);
        return await module.InvokeAsync<string>("copyPicture", call.Token, _canvas, png);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        await _gone.CancelAsync();
        if (!_module.Task.IsCompletedSuccessfully)
        {
            _module.TrySetCanceled();
            return;
        }

        // The browser takes the frames' object URLs with it if it is gone or does not answer.
        await Connection.ReleaseAsync(_module.Task.Result, ReleaseViewAsync);
    }

    // The module's own cleanup of this canvas (its thumbnails' object URLs, its resize observer), before the module goes.
    private Task ReleaseViewAsync(IJSObjectReference module, CancellationToken cancellationToken) =>
        module.InvokeVoidAsync("release", cancellationToken, _canvas).AsTask();

    /// <inheritdoc />
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            try
            {
                var module = await ImportAsync(_gone.Token);
                if (_disposed)
                {
                    // Out of the page while its module loaded (an error took its place): its canvas is gone.
                    await Connection.ReleaseAsync(module);
                    return;
                }

                await module.InvokeVoidAsync("attach", _canvas, HistoryLength);
                if (!_module.TrySetResult(module))
                {
                    // Disposed during the attach: nobody else will release it, nor its view in the module.
                    await Connection.ReleaseAsync(module, ReleaseViewAsync);
                }
            }
            catch (JSDisconnectedException)
            {
                _module.TrySetCanceled();
            }
            catch (OperationCanceledException) when (_disposed)
            {
                // Out of the page while it waited for the browser.
            }
        }
    }

    private async Task<IJSObjectReference> ImportAsync(CancellationToken gone)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // Disposed before the wait below: a call outliving the connection it was tied to must not be disposed
                // after the reconnection has replaced (and disposed) that connection's token.
                using var call = Connection.StartCall(gone);
                return await JS.InvokeAsync<IJSObjectReference>("import", call.Token, "./js/frames.js");
            }
            catch (OperationCanceledException) when (!gone.IsCancellationRequested && attempt < MaxImportAttempts)
            {
                // Unanswered: the connection dropped with the call in flight (Blazor does not resend it), or the browser
                // was too busy. Again once it is back; the last failure goes to the page's error boundary as before.
                await Connection.WaitUntilConnectedAsync(gone);
            }
        }
    }
}
