using NitroLive.Core.Models;
using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.Pipeline;

public sealed class GeneratorPoolTests(EmbeddedPipelineFixture fixture) : IClassFixture<EmbeddedPipelineFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task PooledInstancesDrawAtOnceWhatOnePipelineDrawsAlone()
    {
        using var pool = Assert.IsType<GeneratorPool>(GeneratorPool.Open(fixture.Options(), instances: 2));
        var requests = new[]
        {
            new GenerationRequest("a red circle on a blue background", 1, 7, 128, 128),
            new GenerationRequest("two yellow triangles on a black background", 2, 9, 128, 128),
        };

        var results = await Task.WhenAll(requests.Select(r => pool.GenerateAsync([r], CancellationToken.None))).WaitAsync(Timeout);

        Assert.Equal(2, pool.Concurrency);
        for (var i = 0; i < requests.Length; i++)
        {
            var alone = fixture.Pipeline.Generate([requests[i]], CancellationToken.None)[0].Rgb;
            Assert.Equal(alone, Assert.Single(results[i]).Rgb);
        }
    }

    [Fact]
    public void OneInstanceIsThePlainGeneratorWithoutAPool()
    {
        using var generator = (IDisposable)GeneratorPool.Open(fixture.Options(), instances: 1);

        Assert.IsType<NitroPipeline>(generator);
        Assert.Equal(1, ((IImageGenerator)generator).Concurrency);
        Assert.Throws<ArgumentOutOfRangeException>(() => GeneratorPool.Open(fixture.Options(), instances: -1));
    }

    [Fact]
    public void AutoOpensOneInstancePerProcessorForTheSmallModelOnTheCpu()
    {
        var expected = Math.Min(Environment.ProcessorCount, GeneratorPool.MaxAutoInstances);

        using var generator = (IDisposable)GeneratorPool.Open(fixture.Options(), GeneratorPool.Auto);

        Assert.Equal(expected, ((IImageGenerator)generator).Concurrency);
        Assert.Equal(expected > 1, generator is GeneratorPool);
    }

    [Theory]
    [InlineData("CPU", 6_000_000L, 2, 2)]
    [InlineData("CPU", 6_000_000L, 1, 1)]
    [InlineData("CPU", 6_000_000L, 64, GeneratorPool.MaxAutoInstances)]
    [InlineData("CPU", GeneratorPool.SmallModelBytes, 8, GeneratorPool.MaxAutoInstances)]
    [InlineData("CPU", GeneratorPool.SmallModelBytes + 1, 8, 1)]
    [InlineData("CUDA", 6_000_000L, 8, 1)]
    public void AutoKeepsOneInstanceOnAGpuOrForALargeModel(string provider, long modelBytes, int processors, int expected)
    {
        Assert.Equal(expected, GeneratorPool.AutoInstances(provider, modelBytes, processors));
    }

    [Fact]
    public void AutoStopsAtOneInstanceWhenTheFirstLandsOnAGpu()
    {
        var opened = new List<PipelineOptions>();
        var generator = GeneratorPool.Open(fixture.Options(), GeneratorPool.Auto, null, options =>
        {
            opened.Add(options);
            return new GatedGenerator(provider: "CUDA");
        });
        using var disposable = (IDisposable)generator;

        Assert.IsType<GatedGenerator>(generator);
        Assert.Single(opened);
    }

    [Fact]
    public void AutoOpensTheRestWithAnEqualShareOfTheCoresWhenTheFirstIsOnTheCpu()
    {
        var opened = new List<PipelineOptions>();
        var generator = GeneratorPool.Open(fixture.Options(), GeneratorPool.Auto, null, options =>
        {
            opened.Add(options);
            return new GatedGenerator();
        });
        using var disposable = (IDisposable)generator;

        var expected = Math.Min(Environment.ProcessorCount, GeneratorPool.MaxAutoInstances);
        Assert.Equal(expected, generator.Concurrency);
        Assert.Equal(expected, opened.Count);
        if (expected > 1)
        {
            Assert.All(opened, o => Assert.Equal(Math.Max(1, Environment.ProcessorCount / expected), o.IntraOpThreads));
        }
    }

    [Fact]
    public void AutoOnAMissingFolderLeavesTheErrorToTheModelCheck()
    {
        var missing = Path.Combine(Path.GetTempPath(), "nitrolive-no-such-model-" + Guid.NewGuid().ToString("N"));
        var options = fixture.Options() with { ModelDirectory = missing };

        // Sizing the pool must not fail first with a bare DirectoryNotFoundException: the model check's error names the
        // folder and says what is wrong with it.
        var ex = Assert.Throws<ModelValidationException>(() => GeneratorPool.Open(options, GeneratorPool.Auto));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Equal($"{missing}: model folder not found", Assert.Single(ex.Problems).ToString());
    }

    [Fact]
    public async Task EachInstanceRunsOneCallAtATimeAndAThirdCallWaitsForTheFirstFreeOne()
    {
        var first = new GatedGenerator();
        var second = new GatedGenerator();
        using var pool = new GeneratorPool([first, second]);

        var a = pool.GenerateAsync([Request("a")], CancellationToken.None);
        var b = pool.GenerateAsync([Request("b")], CancellationToken.None);
        await Task.WhenAll(first.WaitStartedAsync(), second.WaitStartedAsync());
        var c = pool.GenerateAsync([Request("c")], CancellationToken.None);
        await Task.Delay(100);
        Assert.False(c.IsCompleted);
        Assert.Equal(["a", "b"], first.Prompts.Concat(second.Prompts).Order());

        second.Release();
        await b.WaitAsync(Timeout);
        await second.WaitStartedAsync();
        second.Release();
        first.Release();

        await Task.WhenAll(a, c).WaitAsync(Timeout);
        Assert.Equal(["b", "c"], second.Prompts);
        Assert.Equal(1, first.MostAtOnce);
        Assert.Equal(1, second.MostAtOnce);
    }

    [Fact]
    public async Task ACallWaitingForAFreeInstanceEndsWhenCancelledAndTakesNoInstance()
    {
        var only = new GatedGenerator();
        using var pool = new GeneratorPool([only]);
        var running = pool.GenerateAsync([Request("a")], CancellationToken.None);
        await only.WaitStartedAsync();

        using var cts = new CancellationTokenSource();
        var waiting = pool.GenerateAsync([Request("b")], cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Timeout));
        only.Release();
        await running.WaitAsync(Timeout);
        var next = pool.GenerateAsync([Request("c")], CancellationToken.None);
        await only.WaitStartedAsync();
        only.Release();
        await next.WaitAsync(Timeout);
        Assert.Equal(["a", "c"], only.Prompts);
    }

    [Fact]
    public async Task AnInstanceThatJustFailedIsTheLastOneAskedAgain()
    {
        var first = new GatedGenerator { Fail = true };
        var second = new GatedGenerator();
        using var pool = new GeneratorPool([first, second]);

        // One call at a time, as under light load: each call takes the instance used last, unless that one failed.
        first.Release();
        await Assert.ThrowsAsync<InvalidOperationException>(() => pool.GenerateAsync([Request("a")], CancellationToken.None).WaitAsync(Timeout));
        second.Release();
        await pool.GenerateAsync([Request("b")], CancellationToken.None).WaitAsync(Timeout);
        second.Release();
        await pool.GenerateAsync([Request("c")], CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(["a"], first.Prompts);
        Assert.Equal(["b", "c"], second.Prompts);
    }

    [Fact]
    public void InstancesThatRunDifferentModelsAreRefused()
    {
        using var cpu = new GatedGenerator();
        using var other = new GatedGenerator(provider: "CUDA");

        var error = Assert.Throws<ArgumentException>(() => new GeneratorPool([cpu, other]));

        Assert.Contains("every instance must run the same model on the same provider", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new GeneratorPool([]));
    }

    private static GenerationRequest Request(string prompt) => new(prompt, 1, 1, 64, 64);

    /// <summary>A generator whose calls each wait for one release; it records what ran and the most calls at once.</summary>
    private sealed class GatedGenerator(string provider = "CPU") : IImageGenerator, IDisposable
    {
        private readonly SemaphoreSlim _gate = new(0);
        private readonly SemaphoreSlim _started = new(0);
        private int _active;

        public ModelDescription Model { get; } = new("Gated", "tiny", true, 64, 64, [(64, 64)], [1], 250, 1, provider, "test");

        public List<string> Prompts { get; } = [];

        public int MostAtOnce { get; private set; }

        /// <summary>Whether each call throws once released.</summary>
        public bool Fail { get; init; }

        public async Task WaitStartedAsync() => Assert.True(await _started.WaitAsync(Timeout), "no call started");

        public void Release() => _gate.Release();

        public void Dispose()
        {
            _gate.Dispose();
            _started.Dispose();
        }

        public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken)
        {
            var active = Interlocked.Increment(ref _active);
            lock (Prompts)
            {
                MostAtOnce = Math.Max(MostAtOnce, active);
                Prompts.Add(requests[0].Prompt);
            }

            _started.Release();
            try
            {
                await _gate.WaitAsync(cancellationToken);
                if (Fail)
                {
                    throw new InvalidOperationException("The gated generator was told to fail.");
                }

                var timings = new StageTimings(0, 0, false, [0], 0, 0, provider);
                return [new GenerationResult(requests[0], new byte[64 * 64 * 3], 64, 64, timings)];
            }
            finally
            {
                Interlocked.Decrement(ref _active);
            }
        }
    }
}
