using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NitroLive.Core.Models;
using NitroLive.Core.Pipeline;

namespace NitroLive.Web.Extensions;

/// <summary>Where the model is and how it runs; bound from <c>NitroLive:Model</c> and validated at startup.</summary>
public sealed class NitroModelOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "NitroLive:Model";

    /// <summary>
    /// The model folder, or a folder of model folders (the export's parent folder with <c>nitrosd-realism/</c> and
    /// <c>nitrosd-vibrant/</c>): then each subfolder with a <c>nitrolive.json</c> is a variant, the first by name the
    /// default. Empty for the embedded demo model (<c>models/nitro-tiny</c> beside the app); a relative path is taken
    /// relative to the app's base directory.
    /// </summary>
    public string Directory { get; set; } = string.Empty;

    /// <summary>Execution provider: Auto (CUDA when it loads, else CPU), Cpu or Cuda.</summary>
    public ProviderPreference Provider { get; set; } = ProviderPreference.Auto;

    /// <summary>CUDA device ordinal.</summary>
    [Range(0, 64)]
    public int DeviceId { get; set; }

    /// <summary>Decode every frame with the tiny (TAESD-style) decoder (the model must have one).</summary>
    public bool UseTinyDecoder { get; set; }

    /// <summary>
    /// Decode drafts while typing with the tiny decoder when the model has one, the full picture once typing pauses
    /// (on by default; see docs/ui.md, drafts). Off: drafts only where they save steps.
    /// </summary>
    public bool TinyDecoderForDrafts { get; set; } = true;

    /// <summary>Prompt embeddings cached (typing revisits prefixes often).</summary>
    [Range(0, 100_000)]
    public int EmbeddingCacheSize { get; set; } = 256;

    /// <summary>Largest batch the pipeline accepts; the model's batch axis may limit it further.</summary>
    [Range(1, 64)]
    public int MaxBatch { get; set; } = 4;

    /// <summary>Intra-op threads for CPU kernels; 0 lets ONNX Runtime choose.</summary>
    [Range(0, 1024)]
    public int IntraOpThreads { get; set; }

    /// <summary>Keep latents in device memory between the models (null: on for CUDA, off for CPU).</summary>
    public bool? KeepLatentsOnDevice { get; set; }

    /// <summary>cuDNN convolution algorithm search on CUDA: Exhaustive (default, slower first run), Heuristic or Default.</summary>
    public CudnnConvAlgoSearch CudnnConvAlgoSearch { get; set; } = CudnnConvAlgoSearch.Exhaustive;

    /// <summary>Allow TF32 math on CUDA (fp32 models only).</summary>
    public bool UseTf32 { get; set; } = true;

    /// <summary>CUDA arena limit in bytes; 0 for none.</summary>
    [Range(0, long.MaxValue)]
    public long GpuMemoryLimitBytes { get; set; }

    /// <summary>Opt in to the TensorRT provider ahead of CUDA when its libraries load (see docs/real-models.md).</summary>
    public bool UseTensorRt { get; set; }

    /// <summary>
    /// Opt in to CUDA graphs for the UNet: one more UNet session per cached (batch, size), so more GPU memory (see
    /// docs/real-models.md section 9). CUDA only, needs latents on the device; a shape that cannot be captured falls back.
    /// </summary>
    public bool UseCudaGraphs { get; set; }

    /// <summary>
    /// Independent generator instances that run generations side by side (each a whole model in memory, with
    /// <see cref="IntraOpThreads"/> threads, or an equal share of the processors when that is 0). More than 1 suits a
    /// CPU serving several typists at once (docs/performance.md, live runs 7 and 9); keep 1 on a GPU. 0 (the default)
    /// chooses: one per processor, up to 4, for a model of at most 1 GiB on the CPU, otherwise 1
    /// (<see cref="GeneratorPool.AutoInstances"/>).
    /// </summary>
    [Range(0, 64)]
    public int ParallelGenerators { get; set; } = GeneratorPool.Auto;

    /// <summary>Where TensorRT caches its engines; a relative path is taken relative to the app's base directory.</summary>
    public string TensorRtCacheDirectory { get; set; } = string.Empty;

    /// <summary>The model folder as a full path.</summary>
    public string ResolvedDirectory => string.IsNullOrWhiteSpace(Directory)
        ? EmbeddedModel.DefaultDirectory
        : Path.GetFullPath(Directory, AppContext.BaseDirectory);

    internal PipelineOptions ToPipelineOptions() => new()
    {
        ModelDirectory = ResolvedDirectory,
        Provider = Provider,
        DeviceId = DeviceId,
        UseTinyDecoder = UseTinyDecoder,
        TinyDecoderForDrafts = TinyDecoderForDrafts,
        EmbeddingCacheSize = EmbeddingCacheSize,
        MaxBatch = MaxBatch,
        IntraOpThreads = IntraOpThreads,
        KeepLatentsOnDevice = KeepLatentsOnDevice,
        CudnnConvAlgoSearch = CudnnConvAlgoSearch,
        UseTf32 = UseTf32,
        GpuMemoryLimitBytes = GpuMemoryLimitBytes,
        UseTensorRt = UseTensorRt,
        UseCudaGraphs = UseCudaGraphs,
        TensorRtCacheDirectory = string.IsNullOrWhiteSpace(TensorRtCacheDirectory)
            ? string.Empty
            : Path.GetFullPath(TensorRtCacheDirectory, AppContext.BaseDirectory),
    };
}

/// <summary>Registration of the image generator.</summary>
public static class GeneratorServiceCollectionExtensions
{
    /// <summary>
    /// Registers the app's one <see cref="IImageGenerator"/>, configured from <c>NitroLive:Model</c>: a
    /// <see cref="NitroPipeline"/> on a model folder, or a <see cref="VariantGenerator"/> with one pipeline per variant
    /// on a folder of model folders; a <see cref="GeneratorPool"/> of those with <c>ParallelGenerators</c> above 1 (0 chooses).
    /// It is built when the app starts (the generation loop needs it), so a bad model folder stops startup with an
    /// <see cref="OptionsValidationException"/> listing every problem by file and reason.
    /// Replacing the <see cref="IImageGenerator"/> registration (tests) skips the model entirely.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddNitroGenerator(this IServiceCollection services)
    {
        services.AddOptions<NitroModelOptions>()
            .BindConfiguration(NitroModelOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<RgbBufferPool>();
        services.TryAddSingleton(sp => CreateGenerator(
            sp.GetRequiredService<IOptions<NitroModelOptions>>().Value,
            sp.GetRequiredService<RgbBufferPool>(),
            sp.GetRequiredService<ILoggerFactory>()));
        return services;
    }

    private static IImageGenerator CreateGenerator(NitroModelOptions options, RgbBufferPool resultBuffers, ILoggerFactory loggerFactory)
    {
        try
        {
            // The generation loop hands each frame's pixels back to the pool once the frame is out.
            return GeneratorPool.Open(options.ToPipelineOptions() with { ResultBuffers = resultBuffers }, options.ParallelGenerators, loggerFactory);
        }
        catch (ModelValidationException ex)
        {
            // The engine's own contract check, reported as a configuration error that names each file and why.
            var directory = string.IsNullOrEmpty(ex.Directory) ? options.ResolvedDirectory : ex.Directory;
            throw new OptionsValidationException(
                NitroModelOptions.SectionName,
                typeof(NitroModelOptions),
                ex.Problems.Select(p =>
                    $"NitroLive:Model:Directory '{directory}': {(string.IsNullOrEmpty(p.File) ? string.Empty : p.File + ": ")}{(p.Tensor is null ? string.Empty : $"({p.Tensor}) ")}{p.Message}"));
        }
    }
}
