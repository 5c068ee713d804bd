namespace NitroLive.Core.Models;

/// <summary>The model's <c>nitrolive.json</c>: what it is and what it accepts.</summary>
/// <param name="DisplayName">Human-readable name.</param>
/// <param name="Variant">"realism", "vibrant", "tiny", ...</param>
/// <param name="Family">Model family, e.g. "nitrofusion" or "nitro-tiny".</param>
/// <param name="ShiftedTimestep">TimestepShiftLCM shift (250 Realism, 500 Vibrant).</param>
/// <param name="OriginalInferenceSteps">The LCM original_inference_steps (4 for NitroFusion).</param>
/// <param name="NativeWidth">Native width in pixels.</param>
/// <param name="NativeHeight">Native height in pixels.</param>
/// <param name="SupportedSteps">Step counts offered to users.</param>
/// <param name="Sizes">Sizes offered to users (width, height).</param>
/// <param name="EmbeddedDemo">True for the project's own embedded demo model.</param>
/// <param name="License">Licence line.</param>
/// <param name="ExamplePrompts">
/// Prompts that show what the model draws well (<c>example_prompts</c>), for the studio's suggestions and a kiosk's
/// attract mode; empty when the folder names none.
/// </param>
/// <param name="Vocabulary">
/// Every word the model was trained on (<c>vocabulary</c>, lower case), for a model that knows only a few (the embedded
/// demo model); empty when the folder names none, as for a CLIP-based model that reads any text.
/// </param>
public sealed record ModelManifest(
    string DisplayName,
    string Variant,
    string Family,
    int ShiftedTimestep,
    int OriginalInferenceSteps,
    int NativeWidth,
    int NativeHeight,
    IReadOnlyList<int> SupportedSteps,
    IReadOnlyList<(int Width, int Height)> Sizes,
    bool EmbeddedDemo,
    string License,
    IReadOnlyList<string> ExamplePrompts,
    IReadOnlyList<string> Vocabulary);

/// <summary>What a VAE decoder's output values mean.</summary>
public enum VaeOutputRange
{
    /// <summary>[-1, 1], as AutoencoderKL and diffusers' AutoencoderTiny.decode return (image = x/2 + 0.5).</summary>
    MinusOneToOne,

    /// <summary>[0, 1], as the raw TAESD decoder module returns.</summary>
    ZeroToOne,
}

/// <summary>A VAE decoder's config.json, as the pipeline uses it.</summary>
/// <param name="ScalingFactor">Latents are divided by this before decoding (0.13025 for SDXL's VAE, 1.0 for TAESD).</param>
/// <param name="ShiftFactor">Added after the division (0 for SDXL).</param>
/// <param name="ScaleFactor">Pixels per latent cell: 2^(len(block_out_channels) - 1).</param>
/// <param name="LatentChannels">latent_channels, when the config states it.</param>
/// <param name="ForceUpcast">The config's force_upcast: the VAE overflows in float16.</param>
/// <param name="OutputRange">Range of the decoded values.</param>
public sealed record VaeConfig(
    double ScalingFactor,
    double ShiftFactor,
    int ScaleFactor,
    int? LatentChannels,
    bool ForceUpcast,
    VaeOutputRange OutputRange);
