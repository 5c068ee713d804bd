using System.Globalization;
using Microsoft.AspNetCore.Components;
using NitroLive.Core.Pipeline;
using NitroLive.Web.Components.Services;
using NitroLive.Web.Live;

namespace NitroLive.Web.Components.Parts;

/// <summary>Frames per second, the newest frame's latency and where it went, CPU or GPU, and the model.</summary>
public sealed partial class Hud : IDisposable
{
    // Just past FrameStats' two-second window: the figure then says "idle" instead of the rate typing last had.
    private static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(2.1);
    private bool _open;
    private ITimer? _idle;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    /// <summary>The page's frame statistics.</summary>
    [Parameter]
    [EditorRequired]
    public FrameStats Stats { get; set; } = default!;

    /// <summary>The loaded model.</summary>
    [Parameter]
    [EditorRequired]
    public ModelDescription Model { get; set; } = default!;

    private string Provider => Stats.Last?.Timings.Provider ?? Model.Provider;

    /// <summary>The name of the variant that drew the newest frame (a server may offer several), else the model's.</summary>
    private string ModelName => Stats.Last is { } frame
        && Model.Variants.FirstOrDefault(v => string.Equals(v.Name, frame.Request.ModelVariant, StringComparison.Ordinal)) is { } variant
            ? variant.DisplayName
            : Model.DisplayName;

    // Keystroke to paint for this browser's own requests; for a picture somebody else asked for (a viewer's, a second
    // typist's) only the server's part is known, and it is named so rather than passed off as the same figure.
    private string LatencyText => Stats.LastEndToEndMs is { } e2e ? Ms(e2e)
        : Stats.Last is { Timings.Reused: true } ? "reused"
        : Stats.LastServerMs is { } server ? "server " + Ms(server)
        : "– ms";

    private string FpsText => Stats.Fps is var fps && fps < 0.05 ? "idle" : Format(fps, "0.0") + " fps";

    /// <inheritdoc />
    public void Dispose() => _idle?.Dispose();

    /// <inheritdoc />
    protected override void OnParametersSet()
    {
        // The page renders the HUD with each frame and not between them: re-render once when the frames stop, so that the
        // rate does not stand at what it was while typing.
        _idle ??= Time.CreateTimer(static hud => ((Hud)hud!).OnIdle(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _idle.Change(IdleAfter, Timeout.InfiniteTimeSpan);
    }

    // On a timer thread: rendering is the renderer's. Nothing waits on the dispatch, and StateHasChanged does not throw.
    private void OnIdle() => _ = InvokeAsync(StateHasChanged);

    internal static string Ms(double? ms) => ms switch
    {
        null => "–",
        < 10 => string.Create(CultureInfo.InvariantCulture, $"{ms:0.0} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ms:0} ms"),
    };

    private static string KiB(int bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB");

    private static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string FormatName(FrameFormat format) => format == FrameFormat.Webp ? "WebP" : "JPEG";

    private void Toggle() => _open = !_open;
}
