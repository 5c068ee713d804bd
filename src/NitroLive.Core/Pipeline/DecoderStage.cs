using Microsoft.ML.OnnxRuntime;
using NitroLive.Core.Models;

namespace NitroLive.Core.Pipeline;

/// <summary>
/// A VAE decoder a pipeline opened: the full one, or the tiny one that decodes drafts. <see cref="Index"/> picks its
/// buffers in every <see cref="BufferSet"/> and its bindings in every <see cref="DeviceLatents"/>.
/// </summary>
internal sealed record DecoderStage(int Index, VaeDecoderLayout Layout, InferenceSession Session)
{
    /// <summary>What the final latents are multiplied by before decoding: 1 / scaling_factor.</summary>
    public float Scale => (float)(1.0 / Layout.Config.ScalingFactor);

    /// <summary>What is added after the scaling (shift_factor; 0 for SDXL).</summary>
    public float Shift => (float)Layout.Config.ShiftFactor;
}
