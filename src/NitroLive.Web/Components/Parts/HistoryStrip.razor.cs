using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace NitroLive.Web.Components.Parts;

/// <summary>Thumbnails of recent frames (kept as object URLs in the browser); selecting one restores prompt and seed.</summary>
public sealed partial class HistoryStrip
{
    private ElementReference _list;
    private (int Version, bool Enabled, long? Shown)? _rendered;

    /// <summary>Changes whenever <see cref="Items"/> changes (the list is the page's own, updated in place).</summary>
    [Parameter]
    public int Version { get; set; }

    /// <summary>Newest first.</summary>
    [Parameter]
    public IReadOnlyList<HistoryItem> Items { get; set; } = [];

    /// <summary>The frame view that keeps the thumbnails.</summary>
    [Parameter]
    public FrameView? Frames { get; set; }

    /// <summary>The key the browser keeps the strip under for a reload; null keeps nothing.</summary>
    [Parameter]
    public string? SaveAs { get; set; }

    /// <summary>
    /// The frame on screen: its entry is marked as the current one (after a Variation or a restore the thumbnails can
    /// look alike).
    /// </summary>
    [Parameter]
    public long? ShownSequence { get; set; }

    /// <summary>Whether restoring is allowed (not for viewers).</summary>
    [Parameter]
    public bool Enabled { get; set; } = true;

    /// <summary>Called with the item to restore.</summary>
    [Parameter]
    public EventCallback<HistoryItem> OnRestore { get; set; }

    // Entries of one prompt and seed at other step counts look alike at 72 px: the step count tells them apart (a
    // one-step picture, the default, needs no mention).
    internal static string Title(HistoryItem item) =>
        string.Create(CultureInfo.InvariantCulture, $"{item.Request.Prompt} ({Steps(item)}seed {item.Request.Seed})");

    internal static string RestoreLabel(HistoryItem item) =>
        string.Create(CultureInfo.InvariantCulture, $"Restore “{item.Request.Prompt}”, {Steps(item)}seed {item.Request.Seed}");

    private static string Steps(HistoryItem item) =>
        item.Request.Steps > 1 ? string.Create(CultureInfo.InvariantCulture, $"{item.Request.Steps} steps, ") : string.Empty;

    /// <inheritdoc />
    protected override bool ShouldRender()
    {
        if (_rendered == (Version, Enabled, ShownSequence))
        {
            return false;
        }

        _rendered = (Version, Enabled, ShownSequence);
        return true;
    }

    /// <inheritdoc />
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (Items.Count > 0 && Frames is not null)
        {
            try
            {
                await Frames.FillThumbnailsAsync(_list, SaveAs, CancellationToken.None);
            }
            catch (JSDisconnectedException)
            {
                // Leaving the page.
            }
            catch (OperationCanceledException)
            {
                // The connection dropped meanwhile: the next render fills the thumbnails.
            }
        }
    }
}
