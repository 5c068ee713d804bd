using Microsoft.ML.OnnxRuntime;

namespace NitroLive.Core.Models;

/// <summary>Opens ONNX Runtime sessions for a validated folder, turning load failures into <see cref="ModelProblem"/>s.</summary>
public static class ModelSessions
{
    /// <summary>Opens one model of the folder on the selected provider.</summary>
    /// <param name="folder">The validated folder.</param>
    /// <param name="relativePath">The ONNX file, relative to the folder.</param>
    /// <param name="providers">The execution provider selection.</param>
    /// <param name="fixedDimensions">
    /// Values for symbolic dimensions every run of this session will have (<see cref="OnnxGraphSignature.FreeDimensions"/>),
    /// so ONNX Runtime folds the graph's shape arithmetic; null or empty to leave them free.
    /// </param>
    /// <exception cref="ModelValidationException">ONNX Runtime rejected the file; the problem names it.</exception>
    public static InferenceSession Open(
        ModelFolder folder, string relativePath, ExecutionProviderSelector providers, IReadOnlyDictionary<string, long>? fixedDimensions = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(providers);
        using var options = providers.CreateSessionOptions();
        foreach (var (name, value) in fixedDimensions ?? new Dictionary<string, long>())
        {
            options.AddFreeDimensionOverrideByName(name, value);
        }

        try
        {
            return new InferenceSession(folder.PathOf(relativePath), options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelValidationException(folder.Directory, [LoadProblem(relativePath, GraphOf(folder, relativePath), providers, ex)]);
        }
    }

    /// <summary>Opens and closes every model the pipeline would run, collecting every failure (for verify-model).</summary>
    public static IReadOnlyList<ModelProblem> CheckAll(ModelFolder folder, ExecutionProviderSelector providers)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var problems = new List<ModelProblem>();
        foreach (var path in ModelPaths(folder))
        {
            try
            {
                using var session = Open(folder, path, providers);
            }
            catch (ModelValidationException ex)
            {
                problems.AddRange(ex.Problems);
            }
        }

        return problems;
    }

    /// <summary>The ONNX files the pipeline runs, in pipeline order.</summary>
    public static IReadOnlyList<string> ModelPaths(ModelFolder folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        List<string> paths = [ModelFolder.TextEncoderPath, ModelFolder.TextEncoder2Path, ModelFolder.UnetPath, ModelFolder.VaeDecoderPath];
        if (folder.VaeDecoderTiny is not null)
        {
            paths.Add(ModelFolder.VaeDecoderTinyPath);
        }

        return paths;
    }

    private static OnnxGraphSignature? GraphOf(ModelFolder folder, string relativePath) => relativePath switch
    {
        ModelFolder.TextEncoderPath => folder.TextEncoder.Graph,
        ModelFolder.TextEncoder2Path => folder.TextEncoder2.Graph,
        ModelFolder.UnetPath => folder.Unet.Graph,
        ModelFolder.VaeDecoderPath => folder.VaeDecoder.Graph,
        ModelFolder.VaeDecoderTinyPath => folder.VaeDecoderTiny?.Graph,
        _ => null,
    };

    private static ModelProblem LoadProblem(string relativePath, OnnxGraphSignature? graph, ExecutionProviderSelector providers, OnnxRuntimeException ex)
    {
        var firstLine = ex.Message.Split('\n', 2)[0].Trim();
        var problem = $"ONNX Runtime cannot open it on {providers.Provider} ({firstLine})";
        if (!providers.IsCuda
            && graph is { UsesOnnxRuntimeContribOperators: true }
            && firstLine.Contains("Could not find an implementation for", StringComparison.Ordinal))
        {
            // What a folder exported with ONNX Runtime's diffusion fusions meets on a machine whose CUDA did not load: the
            // fused operators exist for CUDA only. Say so, and why this machine is not on CUDA (the missing library). A graph
            // without ONNX Runtime's own operators that meets the same message has another cause, which the hint would hide.
            problem += ": the graph needs an operator only the CUDA provider has, as ONNX Runtime's diffusion fusions do. This machine "
                + $"is on {providers.Provider} ({providers.Reason}): make CUDA load (docs/real-models.md) or export a portable folder "
                + "with --no-ort-optimize";
        }

        return new ModelProblem(relativePath, null, problem);
    }
}
