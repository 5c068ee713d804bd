using System.Globalization;
using Microsoft.AspNetCore.Components;
using NitroLive.Core.Pipeline;
using NitroLive.Web.Components.Services;
using NitroLive.Web.Live;

namespace NitroLive.Web.Components.Parts;

/// <summary>Frames per second, the newest frame's latency and where it went, CPU or GPU, and the model.</summary>
public sealed partial class Hud
{
    private bool _open;

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

    private string LatencyText => Stats.LastEndToEndMs is { } e2e
        ? Ms(e2e)
        : Stats.LastServerMs is { } server ? Ms(server) : "– ms";

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
