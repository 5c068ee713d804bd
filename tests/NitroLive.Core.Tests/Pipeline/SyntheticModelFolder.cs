using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime.Tensors;
using NitroLive.Core.Models;
using NitroLive.Core.Tests.Models;
using static NitroLive.Core.Tests.Models.FakeModelFolder;

namespace NitroLive.Core.Tests.Pipeline;

/// <summary>
/// A runnable SDXL-shaped model folder whose every output can be computed by hand: text encoders whose hidden state k is
/// id × 0.01·(j+1) × (1, 2 or 3 for k = 1, 0, 2), a UNet that predicts eps = 0.5 · sample, and a VAE decoder that is a
/// DepthToSpace(2) copied to three channels (scale factor 2, scaling_factor 0.5). Written in the element types under
/// test, so the pipeline's float16 / int32 / scalar-timestep paths run for real.
/// </summary>
internal sealed class SyntheticModelFolder : IDisposable
{
    public const int D1 = 8;
    public const int D2 = 12;
    public const int Size = 32;
    public const float ScalingFactor = 0.5f;

    private readonly FakeModelFolder _folder = new();

    public SyntheticModelFolder(TensorElementType type, TensorElementType idsType, bool scalarFloatTimestep)
    {
        Type = type;
        WriteTextEncoder(ModelFolder.TextEncoderPath, D1, "pooler_output", first: false, idsType);
        WriteTextEncoder(ModelFolder.TextEncoder2Path, D2, "text_embeds", first: true, idsType);

        var timestep = scalarFloatTimestep ? new OnnxTensorInfo("timestep", TensorElementType.Float, []) : T("timestep", TensorElementType.Int64, "steps");
        Write(ModelFolder.UnetPath,
            [
                T("sample", type, "batch_size", 4, "height", "width"), timestep,
                T("encoder_hidden_states", type, "batch_size", 77, D1 + D2), T("text_embeds", type, "batch_size", D2), T("time_ids", type, "batch_size", 6),
            ],
            [T("out_sample", type, "batch_size", 4, "height", "width")],
            [new OnnxNodeSpec("Mul", ["sample", "half"], ["out_sample"])],
            [Scalar("half", type, 0.5f)]);

        Write(ModelFolder.VaeDecoderPath,
            [T("latent_sample", type, "batch_size", 4, "height", "width")],
            [T("sample", type, "batch_size", 3, "height", "width")],
            [
                new OnnxNodeSpec("DepthToSpace", ["latent_sample"], ["d"], new Dictionary<string, long> { ["blocksize"] = 2 }),
                new OnnxNodeSpec("Concat", ["d", "d", "d"], ["sample"], new Dictionary<string, long> { ["axis"] = 1 }),
            ],
            []);
        _folder.WriteJson("vae_decoder/config.json", $$"""{"block_out_channels": [8, 8], "latent_channels": 4, "scaling_factor": {{ScalingFactor}}}""");
        _folder.WriteJson("nitrolive.json", $$"""
            {"display_name": "Synthetic", "variant": "synthetic", "shifted_timestep": 250, "original_inference_steps": 4,
             "native_width": {{Size}}, "native_height": {{Size}}, "supported_steps": [1, 2, 3, 4], "sizes": [[{{Size}}, {{Size}}]]}
            """);
    }

    public TensorElementType Type { get; }

    public string Directory => _folder.Directory;

    public void Dispose() => _folder.Dispose();

    /// <summary>What the text encoder computes for token id <paramref name="id"/>, hidden state <paramref name="layer"/>, channel <paramref name="j"/>.</summary>
    public float Hidden(long id, int layer, int j)
    {
        var h = (float)id * (0.01f * (j + 1));
        var v = layer switch { 0 => h * 2f, 2 => h * 3f, _ => h };
        return Type == TensorElementType.Float16 ? (float)(Half)v : v;
    }

    private void WriteTextEncoder(string path, int width, string pooled, bool first, TensorElementType idsType)
    {
        var weights = Enumerable.Range(0, width).Select(j => 0.01f * (j + 1)).ToArray();
        List<OnnxNodeSpec> nodes =
        [
            OnnxModelWriter.Cast("input_ids", "f", TensorElementType.Float),
            new("Unsqueeze", ["f", "axes"], ["u"]),
            new("Mul", ["u", "w"], ["h"]),
            new("Mul", ["h", "two"], ["h0"]),
            new("Mul", ["h", "three"], ["h2"]),
            OnnxModelWriter.Cast("h0", "hidden_states.0", Type),
            OnnxModelWriter.Cast("h", "hidden_states.1", Type),
            OnnxModelWriter.Cast("h2", "hidden_states.2", Type),
            new("Identity", ["hidden_states.2"], ["last_hidden_state"]),
            new("Gather", [pooled == "text_embeds" ? "hidden_states.1" : "hidden_states.2", "zero"], [pooled],
                new Dictionary<string, long> { ["axis"] = 1 }),
        ];
        var pooledInfo = T(pooled, Type, "batch_size", width);
        var last = T("last_hidden_state", Type, "batch_size", 77, width);
        List<OnnxTensorInfo> outputs = first ? [pooledInfo, last] : [last, pooledInfo];
        outputs.AddRange(Enumerable.Range(0, 3).Select(i => T($"hidden_states.{i}", Type, "batch_size", 77, width)));
        Write(path, [T("input_ids", idsType, "batch_size", 77)], outputs, nodes,
            [
                new OnnxInlineInitializer("axes", TensorElementType.Int64, [1], BitConverter.GetBytes(2L)),
                new OnnxInlineInitializer("w", TensorElementType.Float, [width], MemoryMarshal.AsBytes(weights.AsSpan()).ToArray()),
                Scalar("two", TensorElementType.Float, 2f),
                Scalar("three", TensorElementType.Float, 3f),
                new OnnxInlineInitializer("zero", TensorElementType.Int64, [], BitConverter.GetBytes(0L)),
            ]);
    }

    private static OnnxInlineInitializer Scalar(string name, TensorElementType type, float value) =>
        new(name, type, [], type == TensorElementType.Float16 ? BitConverter.GetBytes((Half)value) : BitConverter.GetBytes(value));

    private void Write(string path, IEnumerable<OnnxTensorInfo> inputs, IEnumerable<OnnxTensorInfo> outputs, IEnumerable<OnnxNodeSpec> nodes, IEnumerable<OnnxInlineInitializer> initializers) =>
        File.WriteAllBytes(_folder.PathOf(path), OnnxModelWriter.Build(inputs, outputs, nodes, initializers: initializers));
}
