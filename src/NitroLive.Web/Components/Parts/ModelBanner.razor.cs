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

    private string? Message
    {
        get
        {
            var model = Live.Model;
            var cpu = ProviderLabel.IsCpu(model.Provider);
            return (model.IsEmbeddedDemo, cpu) switch
            {
                (true, true) => $"Demo mode: the embedded model ({model.DisplayName}) on the CPU draws small, simple shapes.",
                (true, false) => $"Demo mode: the embedded model ({model.DisplayName}) draws small, simple shapes.",
                (false, true) => $"Running {model.DisplayName} on the CPU: every picture takes seconds. A GPU makes it live.",
                _ => null,
            };
        }
    }
}
