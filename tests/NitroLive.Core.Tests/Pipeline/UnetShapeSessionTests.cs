using Microsoft.Extensions.Logging;
using NitroLive.Core.Models;
using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.Pipeline;

/// <summary>
/// The CUDA-graph path (one UNet session per shape with fixed dimensions, conditioning and timestep uploaded into fixed
/// device buffers) forced onto the CPU provider, which ignores nothing else: it must give the default pipeline's pixels,
/// keep one session per cached shape, and fall back to the shared UNet session when a shape's own session fails.
/// </summary>
public sealed class UnetShapeSessionTests(EmbeddedPipelineFixture fixture) : IClassFixture<EmbeddedPipelineFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private PipelineOptions Forced() => fixture.Options() with { KeepLatentsOnDevice = true, ForceShapeSessions = true };

    private static readonly string[] Prompts = ["a red circle on a blue background", "a green triangle", "two yellow squares", "a white circle"];

    private static GenerationRequest[] Batch(int steps, int width, int height, int count = 2) =>
        [.. Prompts.Take(count).Select((prompt, i) => new GenerationRequest(prompt, steps, 40 + i, width, height))];

    [Theory]
    [InlineData(false, 0)] // without fixed dimensions the session compiles like the shared one: any difference is the upload path's
    [InlineData(true, 1)] // ORT folds shape arithmetic and picks kernels for the fixed shape, which may round a few pixels differently
    public async Task ThePerShapeUnetSessionAndUploadsGiveTheDefaultPipelinesPixels(bool fixDimensions, int maxLevels)
    {
        using var forced = new NitroPipeline(Forced() with { FixShapeDimensions = fixDimensions });
        var host = fixture.Pipeline;
        var (w, h) = (host.Model.NativeWidth, host.Model.NativeHeight);
        var count = Math.Min(2, host.Model.MaxBatch);

        var runs = 0;
        foreach (var steps in new[] { 1, 4 })
        {
            var requests = Batch(steps, w, h, count);
            var expected = await host.GenerateAsync(requests, CancellationToken.None).WaitAsync(Timeout);
            var actual = await forced.GenerateAsync(requests, CancellationToken.None).WaitAsync(Timeout);

            if (maxLevels == 0)
            {
                AssertSamePixels(expected, actual, $"{steps} step(s)");
            }

            for (var i = 0; i < count; i++)
            {
                Assert.InRange(NitroPipelineTests.MaxAbsoluteDifference(expected[i].Rgb, actual[i].Rgb), 0, maxLevels);
            }

            runs += steps;
            var shape = forced.ShapeSessionFor(count, w, h);
            Assert.NotNull(shape); // a wrong dimension value would fail the first run and drop the session
            Assert.Equal(runs, shape.Runs);
        }
    }

    [Fact]
    public async Task WarmUpRunsEachShapeSessionOftenEnoughForOnnxRuntimeToCaptureItsGraph()
    {
        using var forced = new NitroPipeline(Forced());
        var (w, h) = (forced.Model.NativeWidth, forced.Model.NativeHeight);

        await forced.WarmUpAsync([(w, h), (w / 2, h / 2)], CancellationToken.None).WaitAsync(Timeout);

        // The warm-up's draft (the embedded model's drafts have a decoder of their own) runs the same UNet once more.
        var runs = NitroPipeline.CudaGraphWarmUpRuns + (forced.Model.DraftsUseTinyDecoder ? 1 : 0);
        Assert.Equal(runs, forced.ShapeSessionFor(1, w, h)!.Runs);
        Assert.Equal(runs, forced.ShapeSessionFor(1, w / 2, h / 2)!.Runs);
        Assert.True(forced.HasUnetShapeSession(1, w, h));
        Assert.False(forced.HasUnetShapeSession(2, w, h)); // never generated
        Assert.False(fixture.Pipeline.HasUnetShapeSession(1, w, h)); // the default pipeline has none
    }

    [Fact]
    public async Task EachShapeGetsItsOwnUnetSession()
    {
        using var forced = new NitroPipeline(Forced());
        var (w, h) = (forced.Model.NativeWidth, forced.Model.NativeHeight);

        await forced.GenerateAsync(Batch(1, w, h, 1), CancellationToken.None).WaitAsync(Timeout);
        await forced.GenerateAsync(Batch(2, w / 2, h / 2, 1), CancellationToken.None).WaitAsync(Timeout);

        var native = forced.ShapeSessionFor(1, w, h);
        var half = forced.ShapeSessionFor(1, w / 2, h / 2);
        Assert.NotNull(native);
        Assert.NotNull(half);
        Assert.NotSame(native, half);
        Assert.Equal(1, native.Runs);
        Assert.Equal(2, half.Runs);

        // A size the first session's fixed dimensions do not fit runs on its own session, not through a fallback.
        var expected = await fixture.Pipeline.GenerateAsync(Batch(2, w / 2, h / 2, 1), CancellationToken.None).WaitAsync(Timeout);
        var actual = await forced.GenerateAsync(Batch(2, w / 2, h / 2, 1), CancellationToken.None).WaitAsync(Timeout);
        Assert.InRange(NitroPipelineTests.MaxAbsoluteDifference(expected[0].Rgb, actual[0].Rgb), 0, 1);
        Assert.Equal(4, half.Runs);
        Assert.Same(native, forced.ShapeSessionFor(1, w, h));
        Assert.Equal(1, native.Runs);
    }

    [Fact]
    public async Task EvictedBufferSetsDisposeTheirUnetSession()
    {
        using var forced = new NitroPipeline(Forced());
        var w = forced.Model.NativeWidth;
        int[] sizes = [w, w / 2, w / 4, w * 3 / 4, w * 5 / 4];

        await forced.GenerateAsync(Batch(1, sizes[0], sizes[0], 1), CancellationToken.None).WaitAsync(Timeout);
        var first = forced.ShapeSessionFor(1, sizes[0], sizes[0]);
        Assert.NotNull(first);
        foreach (var size in sizes[1..4])
        {
            await forced.GenerateAsync(Batch(1, size, size, 1), CancellationToken.None).WaitAsync(Timeout);
        }

        Assert.False(first.IsDisposed); // four shapes fit the cache

        await forced.GenerateAsync(Batch(1, sizes[4], sizes[4], 1), CancellationToken.None).WaitAsync(Timeout);

        Assert.True(first.IsDisposed);
        Assert.Null(forced.ShapeSessionFor(1, sizes[0], sizes[0]));
        var newest = forced.ShapeSessionFor(1, sizes[4], sizes[4]);
        Assert.NotNull(newest);
        Assert.False(newest.IsDisposed);

        forced.Dispose();
        Assert.True(newest.IsDisposed);
    }

    [Fact]
    public async Task CancellingDuringThePerShapeUnetThrowsAndKeepsTheSession()
    {
        using var forced = new NitroPipeline(Forced());
        var (w, h) = (512, 512);
        var warm = await forced.GenerateAsync(Batch(1, w, h, 1), CancellationToken.None).WaitAsync(Timeout);
        var shape = forced.ShapeSessionFor(1, w, h);
        Assert.NotNull(shape);

        // The UNet is most of a 4-step run; retry with later cancels until one lands inside a run.
        var cancelled = false;
        for (var delayMs = 5; delayMs < 2000 && !cancelled; delayMs *= 2)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(delayMs));
            try
            {
                await forced.GenerateAsync(Batch(4, w, h, 1), cts.Token).WaitAsync(Timeout);
            }
            catch (OperationCanceledException)
            {
                cancelled = true;
            }
        }

        Assert.True(cancelled, "no cancel landed before the generation finished");
        Assert.Same(shape, forced.ShapeSessionFor(1, w, h)); // a cancel is not a failure of the session
        var runsBefore = shape.Runs;

        var after = await forced.GenerateAsync(Batch(1, w, h, 1), CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(warm[0].Rgb, after[0].Rgb);
        Assert.Equal(runsBefore + 1, shape.Runs);
    }

    // ONNX Runtime ends a CUDA graph capture when the run ends, also when Terminate stopped it part way: the replays would
    // then be a partial UNet. So a shape's first runs finish, and the generation is cancelled right after; later runs stop.
    [Fact]
    public async Task AShapesFirstRunsFinishWhenCancelledAndLaterRunsStop()
    {
        CancellationTokenSource? cancelOnRun = null;
        using var forced = new NitroPipeline(Forced() with { BeforeShapeRun = () => cancelOnRun?.Cancel() });
        var (w, h) = (forced.Model.NativeWidth, forced.Model.NativeHeight);

        using (cancelOnRun = new CancellationTokenSource())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => forced.GenerateAsync(Batch(4, w, h, 1), cancelOnRun.Token).WaitAsync(Timeout));
        }

        cancelOnRun = null;
        var shape = forced.ShapeSessionFor(1, w, h);
        Assert.NotNull(shape);
        Assert.Equal(1, shape.Runs); // the run the cancel met went to its end; the next step never started

        while (shape.Runs < NitroPipeline.CudaGraphWarmUpRuns)
        {
            await forced.GenerateAsync(Batch(1, w, h, 1), CancellationToken.None).WaitAsync(Timeout);
        }

        var runsBefore = shape.Runs;
        using (cancelOnRun = new CancellationTokenSource())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => forced.GenerateAsync(Batch(4, w, h, 1), cancelOnRun.Token).WaitAsync(Timeout));
        }

        cancelOnRun = null;
        Assert.Equal(runsBefore, shape.Runs); // stopped by Terminate, as every run is once the graph is captured
        Assert.Same(shape, forced.ShapeSessionFor(1, w, h));
    }

    [Fact]
    public async Task AShapeWhoseSessionCannotOpenRunsOnTheSharedSession()
    {
        var logs = new ListLoggerFactory();

        // Reading the .onnx file as ORT format fails when the session opens, as a refused CUDA graph would.
        using var forced = new NitroPipeline(
            Forced() with { ConfigureShapeSession = o => o.AddSessionConfigEntry("session.load_model_format", "ORT") }, logs);
        var host = fixture.Pipeline;
        var (w, h) = (host.Model.NativeWidth, host.Model.NativeHeight);
        var count = Math.Min(2, host.Model.MaxBatch);

        var expected = await host.GenerateAsync(Batch(2, w, h, count), CancellationToken.None).WaitAsync(Timeout);
        var actual = await forced.GenerateAsync(Batch(2, w, h, count), CancellationToken.None).WaitAsync(Timeout);

        AssertSamePixels(expected, actual, "fallback");
        Assert.Null(forced.ShapeSessionFor(count, w, h));
        Assert.Contains(logs.Entries, e => e.EventId == 1110 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task AShapeSessionThatFailsToRunFallsBackToTheSharedSession()
    {
        var logs = new ListLoggerFactory();
        var batchDimension = fixture.Pipeline.Folder.Unet.Graph.Input("sample")!.Shape![0].Name;
        Assert.NotNull(batchDimension);

        // A batch dimension fixed to a size that is never bound: the session opens, then its first run is refused.
        using var forced = new NitroPipeline(
            Forced() with { FixShapeDimensions = false, ConfigureShapeSession = o => o.AddFreeDimensionOverrideByName(batchDimension, 3) }, logs);
        var host = fixture.Pipeline;
        var (w, h) = (host.Model.NativeWidth, host.Model.NativeHeight);
        var count = Math.Min(2, host.Model.MaxBatch);

        foreach (var steps in new[] { 4, 1 })
        {
            var expected = await host.GenerateAsync(Batch(steps, w, h, count), CancellationToken.None).WaitAsync(Timeout);
            var actual = await forced.GenerateAsync(Batch(steps, w, h, count), CancellationToken.None).WaitAsync(Timeout);
            AssertSamePixels(expected, actual, $"{steps} step(s) after the fallback");
        }

        Assert.Null(forced.ShapeSessionFor(count, w, h));
        Assert.Single(logs.Entries, e => e.EventId == 1111 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public void FreeDimensionsComeFromTheBoundShapesByTheirDeclaredNames()
    {
        var graph = fixture.Pipeline.Folder.Unet.Graph;
        var sample = graph.Input("sample")!.Shape!;
        var bound = new Dictionary<string, long[]> { ["sample"] = [2, 4, 16, 24], ["out_sample"] = [2, 4, 16, 24] };

        var dimensions = graph.FreeDimensions(bound);

        for (var axis = 0; axis < 4; axis++)
        {
            if (sample[axis] is { Value: null, Name: { } name })
            {
                Assert.Equal(bound["sample"][axis], dimensions[name]);
            }
        }

        Assert.NotEmpty(dimensions);
        var conflicting = new Dictionary<string, long[]> { ["sample"] = [2, 4, 16, 24], ["out_sample"] = [3, 4, 16, 24] };
        Assert.Throws<InvalidOperationException>(() => graph.FreeDimensions(conflicting));
    }

    [Fact]
    public void FreeDimensionsRefuseTwoValuesForOneName()
    {
        var dim = new TensorDimension(null, "batch_size");
        var graph = new OnnxGraphSignature(8, 17,
            [new OnnxTensorInfo("a", Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, [dim, new TensorDimension(6, null)]),
             new OnnxTensorInfo("b", Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, [dim, new TensorDimension(null, "height")])],
            [], new Dictionary<string, long>());

        var fine = graph.FreeDimensions(new Dictionary<string, long[]> { ["a"] = [2, 6], ["b"] = [2, 9] });
        Assert.Equal(new Dictionary<string, long> { ["batch_size"] = 2, ["height"] = 9 }, fine);

        var error = Assert.Throws<InvalidOperationException>(() =>
            graph.FreeDimensions(new Dictionary<string, long[]> { ["a"] = [2, 6], ["b"] = [1, 9] }));
        Assert.Contains("batch_size", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CudaGraphsAreRequestedOnlyForTheShapeSessions()
    {
        var selector = new ExecutionProviderSelector(fixture.Options(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        Assert.Equal("1", selector.CudaSettings(cudaGraph: true)["enable_cuda_graph"]);
        Assert.False(selector.CudaSettings(cudaGraph: false).ContainsKey("enable_cuda_graph"));
    }

    [Fact]
    public async Task UseCudaGraphsOnCpuLeavesTheDefaultPathAndSaysWhy()
    {
        var logs = new ListLoggerFactory();
        using var pipeline = new NitroPipeline(fixture.Options() with { KeepLatentsOnDevice = true, UseCudaGraphs = true }, logs);
        var (w, h) = (pipeline.Model.NativeWidth, pipeline.Model.NativeHeight);

        await pipeline.GenerateAsync(Batch(1, w, h, 1), CancellationToken.None).WaitAsync(Timeout);

        Assert.Null(pipeline.ShapeSessionFor(1, w, h));
        Assert.Contains(logs.Entries, e => e.EventId == 1108 && e.Message.Contains("CPU", StringComparison.Ordinal));
    }

    private static void AssertSamePixels(IReadOnlyList<GenerationResult> expected, IReadOnlyList<GenerationResult> actual, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].Rgb.AsSpan().SequenceEqual(actual[i].Rgb),
                $"{what}, image {i}: max difference {NitroPipelineTests.MaxAbsoluteDifference(expected[i].Rgb, actual[i].Rgb)}");
        }
    }

    private sealed record LogEntry(int EventId, LogLevel Level, string Message);

    private sealed class ListLoggerFactory : ILoggerFactory, ILogger
    {
        private readonly Lock _gate = new();
        private readonly List<LogEntry> _entries = [];

        public IReadOnlyList<LogEntry> Entries
        {
            get
            {
                lock (_gate)
                {
                    return [.. _entries];
                }
            }
        }

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_gate)
            {
                _entries.Add(new LogEntry(eventId.Id, logLevel, formatter(state, exception)));
            }
        }
    }
}
