namespace NitroLive.Core.Models;

/// <summary>
/// Whether a model folder leaves speed behind on CUDA: a UNet exported without ONNX Runtime's diffusion fusions (the
/// portable graph) ran an SDXL-size UNet 2.2 to 2.5 times slower on an H200 than the fused one (docs/performance.md,
/// GPU run 5), and nothing else the app can tune comes close.
/// </summary>
public static class FusionAdvice
{
    /// <summary>
    /// A sentence saying so for a folder whose UNet imports none of ONNX Runtime's contrib operators, or null when it
    /// does, or when the folder is the embedded demo model, whose few layers gain nothing worth an export step.
    /// </summary>
    /// <param name="folder">A validated model folder.</param>
    public static string? ForPortableUnet(ModelFolder folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (folder.Manifest.EmbeddedDemo || folder.Unet.Graph.UsesOnnxRuntimeContribOperators)
        {
            return null;
        }

        return "the UNet has no ONNX Runtime fusions (a portable export, as --no-ort-optimize writes): on CUDA the fused "
            + "export, the export tool's default, runs an SDXL UNet 2.2 to 2.5 times faster (docs/real-models.md, section 4)";
    }
}
