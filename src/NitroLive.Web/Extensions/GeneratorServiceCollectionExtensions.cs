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
    /// The model folder. Empty for the embedded demo model (<c>models/nitro-tiny</c> beside the app); a relative path
    /// is taken relative to the app's base directory.
    /// </summary>
    public string Directory { get; set; } = string.Empty;

    /// <summary>Execution provider: Auto (CUDA when it loads, else CPU), Cpu or Cuda.</summary>
    public ProviderPreference Provider { get; set; } = ProviderPreference.Auto;

    /// <summary>CUDA device ordinal.</summary>
    [Range(0, 64)]
    public int DeviceId { get; set; }

    /// <summary>Decode with the tiny (TAESD-style) decoder when the model has one.</summary>
    public bool UseTinyDecoder { get; set; }

    /// <summary>Prompt embeddings cached (typing revisits prefixes often).</summary>
    [Range(0, 100_000)]
    public int EmbeddingCacheSize { get; set; } = 256;

    /// <summary>Largest batch the pipeline accepts; the model's batch axis may limit it further.</summary>
    [Range(1, 64)]
    public int MaxBatch { get; set; } = 4;

    /// <summary>Intra-op threads for CPU kernels; 0 lets ONNX Runtime choose.</summary>
    [Range(0, 1024)]
    public int IntraOpThreads { get; set; }

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
        EmbeddingCacheSize = EmbeddingCacheSize,
        MaxBatch = MaxBatch,
        IntraOpThreads = IntraOpThreads,
    };
}

/// <summary>Registration of the image generator.</summary>
public static class GeneratorServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="NitroPipeline"/> as the app's one <see cref="IImageGenerator"/>, configured from
    /// <c>NitroLive:Model</c>. The model folder is checked at startup: a bad folder stops the app with every problem
    /// listed by file and reason.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddNitroGenerator(this IServiceCollection services)
    {
        services.AddOptions<NitroModelOptions>()
            .BindConfiguration(NitroModelOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NitroModelOptions>, ModelFolderValidator>());
        services.TryAddSingleton(sp => new NitroPipeline(
            sp.GetRequiredService<IOptions<NitroModelOptions>>().Value.ToPipelineOptions(),
            sp.GetRequiredService<ILoggerFactory>()));
        services.TryAddSingleton<IImageGenerator>(sp => sp.GetRequiredService<NitroPipeline>());
        return services;
    }
}

/// <summary>Checks the model folder with the engine's own contract, so startup fails naming each file and why.</summary>
internal sealed class ModelFolderValidator : IValidateOptions<NitroModelOptions>
{
    public ValidateOptionsResult Validate(string? name, NitroModelOptions options)
    {
        var directory = options.ResolvedDirectory;
        var inspection = ModelFolder.Inspect(directory);
        if (inspection.Problems.Count == 0)
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(inspection.Problems.Select(p =>
            $"NitroLive:Model:Directory '{inspection.Directory}': {p.File}{(p.Tensor is null ? string.Empty : $" ({p.Tensor})")}: {p.Message}"));
    }
}
