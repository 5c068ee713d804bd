using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace NitroLive.Core.Pipeline;

/// <summary>
/// Several independent generators on the same model behind one <see cref="IImageGenerator"/>, so that up to
/// <see cref="Concurrency"/> calls run side by side, each on an instance of its own (own sessions, buffers and
/// generator thread). On a CPU with more cores than one small model's kernels can use, this turns the cores into
/// parallel generations: a busy demo's final keystrokes no longer wait behind other typists' frames. Each instance
/// holds a whole model in memory, so on a GPU one instance (no pool) is the right choice.
/// </summary>
public sealed partial class GeneratorPool : IImageGenerator, IDisposable
{
    /// <summary>The instance count that asks <see cref="Open(PipelineOptions, int, ILoggerFactory?)"/> to choose (see <see cref="AutoInstances"/>).</summary>
    public const int Auto = 0;

    /// <summary>Models up to this size (all files of the model folder) may be opened more than once by <see cref="Auto"/>.</summary>
    public const long SmallModelBytes = 1L << 30;

    /// <summary>The most instances <see cref="Auto"/> opens.</summary>
    public const int MaxAutoInstances = 4;

    private readonly IImageGenerator[] _generators;
    // Idle instances, the next to take last: the instance just used goes back on top (its caches and pages are warm),
    // one that just failed goes to the bottom (a broken instance must not take every call while the others idle).
    private readonly List<IImageGenerator> _idle;
    private readonly SemaphoreSlim _available;
    private bool _disposed;

    /// <summary>Shares calls between <paramref name="generators"/>; takes ownership of them.</summary>
    /// <exception cref="ArgumentException">None given, or instances that do not describe the same model.</exception>
    public GeneratorPool(IReadOnlyList<IImageGenerator> generators)
    {
        ArgumentNullException.ThrowIfNull(generators);
        if (generators.Count == 0)
        {
            throw new ArgumentException("At least one generator is needed.", nameof(generators));
        }

        _generators = [.. generators];
        var first = _generators[0].Model;
        foreach (var generator in _generators)
        {
            var model = generator.Model;
            if (!model.OffersTheSameAs(first) || model.MaxBatch != first.MaxBatch
                || !model.Variants.Select(v => v.Name).SequenceEqual(first.Variants.Select(v => v.Name), StringComparer.Ordinal))
            {
                // A pool must be interchangeable: a request may land on any instance.
                throw new ArgumentException(
                    $"The pooled generators differ ({model.Variant} on {model.Provider} vs {first.Variant} on {first.Provider}); " +
                    "every instance must run the same model on the same provider.", nameof(generators));
            }
        }

        _idle = [.. Enumerable.Reverse(_generators)]; // the first instance on top: calls fill the pool in order
        _available = new SemaphoreSlim(_generators.Length, _generators.Length);
    }

    /// <inheritdoc />
    public ModelDescription Model => _generators[0].Model;

    /// <summary>How many calls run at once: one per instance.</summary>
    public int Concurrency => _generators.Length;

    /// <inheritdoc />
    /// <remarks>Every instance loaded the same tokenizers, so the first one answers.</remarks>
    public string PromptKey(string prompt, string? variant = null) => _generators[0].PromptKey(prompt, variant);

    /// <summary>
    /// How many instances <see cref="Auto"/> opens: one per processor, up to <see cref="MaxAutoInstances"/>, for a small
    /// model on the CPU, where one instance's kernels cannot use the cores and typists would wait behind each other's
    /// frames (docs/performance.md, live runs 7 and 9); one on a GPU, which batching and CUDA graphs serve better, and one
    /// for a large model, which each instance would hold in memory again.
    /// </summary>
    public static int AutoInstances(string provider, long modelBytes, int processorCount) =>
        string.Equals(provider, "CPU", StringComparison.OrdinalIgnoreCase) && modelBytes <= SmallModelBytes
            ? Math.Clamp(processorCount, 1, MaxAutoInstances)
            : 1;

    /// <summary>
    /// What the app runs for <paramref name="options"/>: the model directory's generator (see
    /// <see cref="VariantGenerator.OpenModelDirectory"/>) when <paramref name="instances"/> is 1, else a pool of that many;
    /// <see cref="Auto"/> chooses by <see cref="AutoInstances"/> once the first instance has told the provider.
    /// When <see cref="PipelineOptions.IntraOpThreads"/> is 0 each pooled instance gets an equal share of the
    /// processors, because every instance's own default of all of them would oversubscribe the machine.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="instances"/> is below 0.</exception>
    /// <exception cref="Models.ModelValidationException">The model directory is not a usable model (see the generator).</exception>
    public static IImageGenerator Open(PipelineOptions options, int instances, ILoggerFactory? loggerFactory = null) =>
        Open(options, instances, loggerFactory, o => VariantGenerator.OpenModelDirectory(o, loggerFactory));

    /// <summary><see cref="Open(PipelineOptions, int, ILoggerFactory?)"/> with the opening of one instance given (for tests).</summary>
    internal static IImageGenerator Open(PipelineOptions options, int instances, ILoggerFactory? loggerFactory, Func<PipelineOptions, IImageGenerator> openInstance)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(instances);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<GeneratorPool>();
        var auto = instances == Auto;
        var modelBytes = auto ? FolderBytes(options.ModelDirectory) : 0;
        if (auto)
        {
            // The provider is known only once a session opened; a CPU share of the cores is harmless if it is CUDA.
            instances = AutoInstances("CPU", modelBytes, Environment.ProcessorCount);
        }

        if (instances == 1)
        {
            var single = openInstance(options);
            Log.Instances(logger, 1, auto ? "chosen" : "configured", single.Model.Provider);
            return single;
        }

        var perInstance = options with
        {
            IntraOpThreads = options.IntraOpThreads > 0 ? options.IntraOpThreads : Math.Max(1, Environment.ProcessorCount / instances),
        };
        var opened = new List<IImageGenerator>(instances);
        try
        {
            opened.Add(openInstance(perInstance));
            if (auto && AutoInstances(opened[0].Model.Provider, modelBytes, Environment.ProcessorCount) == 1)
            {
                Log.Instances(logger, 1, "chosen", opened[0].Model.Provider);
                return opened[0];
            }

            for (var i = 1; i < instances; i++)
            {
                opened.Add(openInstance(perInstance));
            }

            Log.Instances(logger, instances, auto ? "chosen" : "configured", opened[0].Model.Provider);
            return new GeneratorPool(opened);
        }
        catch
        {
            OwnedGenerators.DisposeAll(opened);
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>Waits for a free instance when all are busy; the wait ends early when <paramref name="cancellationToken"/> fires.</remarks>
    public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _available.WaitAsync(cancellationToken).ConfigureAwait(false);
        IImageGenerator generator;
        lock (_idle)
        {
            generator = _idle[^1];
            _idle.RemoveAt(_idle.Count - 1);
        }

        var failed = false;
        try
        {
            return await generator.GenerateAsync(requests, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            failed = true;
            throw;
        }
        finally
        {
            lock (_idle)
            {
                _idle.Insert(failed ? 0 : _idle.Count, generator);
            }

            _available.Release();
        }
    }

    private static long FolderBytes(string directory)
    {
        try
        {
            return new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Opening the model reports a missing or unreadable folder properly; here it only means "not known small".
            return long.MaxValue;
        }
    }

    /// <summary>Disposes every instance.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        OwnedGenerators.DisposeAll(_generators);
        _available.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1113, Level = LogLevel.Information, Message = "Generator instances: {Count} ({How}) on {Provider}")]
        public static partial void Instances(ILogger logger, int count, string how, string provider);
    }
}
