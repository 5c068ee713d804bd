using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using NitroLive.Web.Components.Services;
using NitroLive.Web.Live;

namespace NitroLive.Web.Components.Parts;

/// <summary>Tells people when they are looking at the embedded demo model or at CPU speed, and where real models are.</summary>
public sealed partial class ModelBanner
{
    [Inject]
    private ILiveService Live { get; set; } = default!;

    [Inject]
    private IOptions<UiOptions> Options { get; set; } = default!;

    // Which notice this is, for the browser to keep it hidden once dismissed: a different one (the demo model swapped
    // for a real model on the CPU) shows again.
    private string Kind => Live.Model.IsEmbeddedDemo ? "demo" : "cpu";

    private string? Message
    {
        get
        {
            var model = Live.Model;
            var cpu = ProviderLabel.IsCpu(model.Provider);
            return (model.IsEmbeddedDemo, cpu) switch
            {
                (true, true) => $"Demo mode: {model.DisplayName}, the small model built into NitroLive, runs on the CPU and draws simple shapes.",
                (true, false) => $"Demo mode: {model.DisplayName}, the small model built into NitroLive, draws simple shapes.",
                (false, true) => $"Running {model.DisplayName} on the CPU: every picture takes seconds. A GPU makes it live.",
                _ => null,
            };
        }
    }
}
