using Microsoft.Extensions.Logging;
using NitroLive.Core.Models;

namespace NitroLive.Core.Pipeline;

/// <summary>
/// Several model variants behind one <see cref="IImageGenerator"/>: one generator per variant (a
/// <see cref="NitroPipeline"/> per model folder), each batch routed by its requests' <see cref="GenerationRequest.Variant"/>.
/// <see cref="Model"/> describes the default (first) variant and lists them all in <see cref="ModelDescription.Variants"/>.
/// Opened by <see cref="Open(PipelineOptions, ILoggerFactory?)"/>, variants whose text encoders or VAE decoder are the same
/// files (as the NitroFusion export writes them) run them on one session, so memory grows by a UNet per variant.
/// </summary>
public sealed class VariantGenerator : IImageGenerator, IDisposable
{
    private readonly IImageGenerator[] _generators;
    private readonly SharedSessions? _shared;
    private readonly Dictionary<string, IImageGenerator> _byVariant = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Routes between <paramref name="generators"/>, the first the default; takes ownership of them.</summary>
    /// <exception cref="ArgumentException">
    /// None given, a variant name offered twice, or variants that disagree on sizes, steps or provider (the live service
    /// offers one set of those).
    /// </exception>
    public VariantGenerator(IReadOnlyList<IImageGenerator> generators)
        : this(generators, shared: null)
    {
    }

    private VariantGenerator(IReadOnlyList<IImageGenerator> generators, SharedSessions? shared)
    {
        ArgumentNullException.ThrowIfNull(generators);
        if (generators.Count == 0)
        {
            throw new ArgumentException("At least one variant is needed.", nameof(generators));
        }

        _generators = [.. generators];
        var first = _generators[0].Model;
        var variants = new List<ModelVariantDescription>();
        foreach (var generator in _generators)
        {
            var model = generator.Model;
            if (!model.OffersTheSameAs(first))
            {
                throw new ArgumentException(
                    $"The variant '{model.Variant}' ({Describe(model)}) does not match '{first.Variant}' ({Describe(first)}): " +
                    "every variant must offer the same sizes and steps on the same provider.", nameof(generators));
            }

            foreach (var variant in model.Variants)
            {
                if (!_byVariant.TryAdd(variant.Name, generator))
                {
                    throw new ArgumentException(
                        $"The variant '{variant.Name}' is offered twice; each model folder needs its own variant name in nitrolive.json.",
                        nameof(generators));
                }

                variants.Add(variant);
            }
        }

        Model = first with { MaxBatch = _generators.Min(g => g.Model.MaxBatch), Variants = variants };
        _shared = shared;
    }

    /// <inheritdoc />
    public ModelDescription Model { get; }

    /// <summary>Sessions the variants share (text encoders, VAE decoder), counted once each; 0 when built from generators.</summary>
    internal int SharedSessionCount => _shared?.Count ?? 0;

    /// <summary>
    /// Opens a <see cref="NitroPipeline"/> on each model folder in <paramref name="options"/>' model directory (see
    /// <see cref="ModelVariantFolders.Find"/>), all with the same options.
    /// </summary>
    /// <exception cref="ModelValidationException">No model folder there, a broken one (naming it), or variants that disagree.</exception>
    public static VariantGenerator Open(PipelineOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Open(options, ModelVariantFolders.Find(options.ModelDirectory), loggerFactory);
    }

    /// <summary>
    /// What the app runs for <paramref name="options"/>' model directory: a <see cref="NitroPipeline"/> when it is a
    /// model folder itself, else a <see cref="VariantGenerator"/> over the model folders inside it.
    /// </summary>
    /// <exception cref="ModelValidationException">No model folder there, a broken one (naming it), or variants that disagree.</exception>
    public static IImageGenerator OpenModelDirectory(PipelineOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var folders = ModelVariantFolders.Find(options.ModelDirectory);
        return folders.Count == 1 && string.Equals(folders[0], Path.GetFullPath(options.ModelDirectory), StringComparison.Ordinal)
            ? new NitroPipeline(options, loggerFactory)
            : Open(options, folders, loggerFactory);
    }

    private static VariantGenerator Open(PipelineOptions options, IReadOnlyList<string> folders, ILoggerFactory? loggerFactory)
    {
        var pipelines = new List<NitroPipeline>(folders.Count);
        var shared = new SharedSessions();
        try
        {
            foreach (var folder in folders)
            {
                pipelines.Add(new NitroPipeline(options with { ModelDirectory = folder }, loggerFactory, shared));
            }

            try
            {
                return new VariantGenerator(pipelines, shared);
            }
            catch (ArgumentException ex)
            {
                // Variants that disagree are a problem of the model directory; a bad option (from a pipeline above)
                // stays the argument error it is.
                throw new ModelValidationException(Path.GetFullPath(options.ModelDirectory), [new ModelProblem(string.Empty, null, ex.Message)]);
            }
        }
        catch
        {
            OwnedGenerators.DisposeAll(pipelines);
            shared.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The batch is empty, mixes variants or names a variant not offered.</exception>
    public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var generator = Route(requests);
        return await generator.GenerateAsync(requests, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>The named variant's tokenizers read it; for a variant not offered the key is the prompt itself.</remarks>
    public string PromptKey(string prompt, string? variant = null) =>
        _byVariant.TryGetValue(variant ?? Model.Variant, out var generator) ? generator.PromptKey(prompt, variant) : prompt;

    /// <summary>Disposes every variant's generator.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        OwnedGenerators.DisposeAll(_generators);

        // After the pipelines that run its sessions, and only when none of them left a run going on them.
        if (!_generators.OfType<NitroPipeline>().Any(p => p.LeftSessionsInUse))
        {
            _shared?.Dispose();
        }
    }

    private IImageGenerator Route(IReadOnlyList<GenerationRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0)
        {
            throw new ArgumentException("At least one request is needed.", nameof(requests));
        }

        string? variant = null;
        foreach (var request in requests)
        {
            var name = (request ?? throw new ArgumentException("A request is null.", nameof(requests))).Variant ?? Model.Variant;
            if (variant is not null && !string.Equals(name, variant, StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"All requests in a batch must share one variant; got '{variant}' and '{name}'.", nameof(requests));
            }

            variant = name;
        }

        return _byVariant.TryGetValue(variant!, out var generator)
            ? generator
            : throw new ArgumentException(
                $"The variant '{variant}' is not offered; use one of {string.Join(", ", Model.Variants.Select(v => $"'{v.Name}'"))}.",
                nameof(requests));
    }

    private static string Describe(ModelDescription model) =>
        $"sizes {string.Join(", ", model.Sizes.Select(s => $"{s.Width}x{s.Height}"))}; steps {string.Join(", ", model.SupportedSteps)}; {model.Provider}";
}
