using BenchmarkDotNet.Attributes;
using NitroLive.Core.Pipeline;

namespace NitroLive.Bench;

/// <summary>
/// Does batching pay? The live loop batches waiting sessions whose requests share size and steps. This compares
/// generating <see cref="Sessions"/> such requests in one batched call with generating them one call each, on the
/// model in models/nitro-tiny (or NITROLIVE_MODEL_DIR) and the provider in NITROLIVE_BENCH_PROVIDER (default Cpu).
/// Prompts are cached after the first iteration, as they mostly are while typing, so the difference is UNet and VAE.
/// </summary>
public class BatchingBenchmarks : IDisposable
{
    private NitroPipeline? _pipeline;
    private GenerationRequest[] _requests = [];

    /// <summary>Sessions waiting with the same shape.</summary>
    [Params(2, 4)]
    public int Sessions { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var directory = Environment.GetEnvironmentVariable("NITROLIVE_MODEL_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(BenchData.RepositoryRoot(), "models", "nitro-tiny");
        var provider = Enum.Parse<ProviderPreference>(Environment.GetEnvironmentVariable("NITROLIVE_BENCH_PROVIDER") ?? "Cpu", ignoreCase: true);
        _pipeline = new NitroPipeline(new PipelineOptions { ModelDirectory = directory, Provider = provider, MaxBatch = 4 });
        var model = _pipeline.Model;
        _requests = Enumerable.Range(0, Sessions)
            .Select(i => new GenerationRequest($"{i + 1} red circles on a blue background", 1, 1000 + i, model.NativeWidth, model.NativeHeight))
            .ToArray();
        _pipeline.Generate(_requests, CancellationToken.None);
    }

    [Benchmark(Baseline = true)]
    public int OneCallPerSession()
    {
        var images = 0;
        foreach (var request in _requests)
        {
            images += _pipeline!.Generate([request], CancellationToken.None).Count;
        }

        return images;
    }

    [Benchmark]
    public int OneBatchedCall() => _pipeline!.Generate(_requests, CancellationToken.None).Count;

    public void Dispose()
    {
        _pipeline?.Dispose();
        GC.SuppressFinalize(this);
    }
}
