using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NitroLive.Core.Models;

namespace NitroLive.Core.Pipeline;

/// <summary>
/// The scheduler step as three tiny ONNX graphs, so the latents stay on the device between UNet runs and into the VAE
/// decoder. The arithmetic is the float32 LCM step with each operation rounded separately, in the same order as
/// <c>LcmSchedule.Step</c>: x0 = (x - sqrt(1-a)·eps) / sqrt(a); denoised = c_out·x0 + c_skip·x; then either
/// sqrt(a_prev)·denoised + sqrt(1-a_prev)·z, or (last step) denoised·(1/scaling_factor) + shift_factor for the decoder.
/// The last step's graph casts to the decoder's input type, so there is one per type among the pipeline's decoders.
/// </summary>
internal sealed class LatentStepGraphs : IDisposable
{
    public static readonly string[] StepScalarNames = ["sqrt_beta", "sqrt_alpha", "c_out", "c_skip", "sqrt_alpha_prev", "sqrt_beta_prev"];
    public static readonly string[] FinalScalarNames = ["sqrt_beta", "sqrt_alpha", "c_out", "c_skip", "scale", "shift"];

    private readonly Dictionary<TensorElementType, InferenceSession> _finals = [];

    public LatentStepGraphs(TensorElementType sampleType, TensorElementType epsType, IEnumerable<TensorElementType> decoderTypes, Func<SessionOptions> sessionOptions)
    {
        var latent = Latent("x", TensorElementType.Float);
        var one = new TensorDimension(1, null);
        OnnxTensorInfo Scalar(string name) => new(name, TensorElementType.Float, [one]);

        var init = OnnxModelWriter.Build(
            [latent with { Name = "z" }],
            [latent with { Name = "latents" }, Latent("sample", sampleType)],
            [new OnnxNodeSpec("Identity", ["z"], ["latents"]), OnnxModelWriter.Cast("z", "sample", sampleType)]);

        List<OnnxNodeSpec> denoise =
        [
            OnnxModelWriter.Cast("eps", "eps32", TensorElementType.Float),
            new("Mul", ["sqrt_beta", "eps32"], ["t1"]),
            new("Sub", ["x", "t1"], ["t2"]),
            new("Div", ["t2", "sqrt_alpha"], ["x0"]),
            new("Mul", ["c_out", "x0"], ["t3"]),
            new("Mul", ["c_skip", "x"], ["t4"]),
            new("Add", ["t3", "t4"], ["denoised"]),
        ];

        var step = OnnxModelWriter.Build(
            [latent, Latent("eps", epsType), latent with { Name = "z" }, .. StepScalarNames.Select(Scalar)],
            [latent with { Name = "latents" }, Latent("sample", sampleType)],
            [
                .. denoise,
                new("Mul", ["sqrt_alpha_prev", "denoised"], ["t5"]),
                new("Mul", ["sqrt_beta_prev", "z"], ["t6"]),
                new("Add", ["t5", "t6"], ["latents"]),
                OnnxModelWriter.Cast("latents", "sample", sampleType),
            ]);

        byte[] FinalGraph(TensorElementType decoderType) => OnnxModelWriter.Build(
            [latent, Latent("eps", epsType), .. FinalScalarNames.Select(Scalar)],
            [Latent("decoder_in", decoderType)],
            [
                .. denoise,
                new("Mul", ["denoised", "scale"], ["t7"]),
                new("Add", ["t7", "shift"], ["t8"]),
                OnnxModelWriter.Cast("t8", "decoder_in", decoderType),
            ]);

        try
        {
            Init = Open(init, sessionOptions);
            Step = Open(step, sessionOptions);
            foreach (var type in decoderTypes)
            {
                if (!_finals.ContainsKey(type))
                {
                    _finals[type] = Open(FinalGraph(type), sessionOptions);
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public InferenceSession Init { get; } = null!;

    public InferenceSession Step { get; } = null!;

    /// <summary>The last step's graph for a decoder that takes <paramref name="decoderType"/> latents.</summary>
    public InferenceSession Final(TensorElementType decoderType) => _finals[decoderType];

    public void Dispose()
    {
        Init?.Dispose();
        Step?.Dispose();
        foreach (var final in _finals.Values)
        {
            final.Dispose();
        }
    }

    private static OnnxTensorInfo Latent(string name, TensorElementType type) =>
        new(name, type, [new TensorDimension(null, "batch"), new TensorDimension(null, "channels"), new TensorDimension(null, "height"), new TensorDimension(null, "width")]);

    /// <summary>Opens an in-memory graph with fresh options from <paramref name="sessionOptions"/> (the pipeline's provider).</summary>
    internal static InferenceSession Open(byte[] model, Func<SessionOptions> sessionOptions)
    {
        using var options = sessionOptions();
        return new InferenceSession(model, options);
    }
}
