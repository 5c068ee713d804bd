using BenchmarkDotNet.Attributes;
using NitroLive.Core.Scheduling;

namespace NitroLive.Bench;

/// <summary>One LCM step on a 1024x1024 latent (1x4x128x128), the per-step CPU work between UNet calls.</summary>
[MemoryDiagnoser]
public class SchedulerStepBenchmarks
{
    private const int LatentSize = 4 * 128 * 128;
    private readonly LcmSchedule _schedule = new TimestepShiftLcmScheduler(new LcmSchedulerConfig(), 250).CreateSchedule(4);
    private readonly float[] _eps = new float[LatentSize];
    private readonly float[] _sample = new float[LatentSize];
    private readonly float[] _noise = new float[LatentSize];
    private readonly float[] _next = new float[LatentSize];
    private readonly double[] _eps64 = new double[LatentSize];
    private readonly double[] _sample64 = new double[LatentSize];
    private readonly double[] _noise64 = new double[LatentSize];
    private readonly double[] _next64 = new double[LatentSize];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        for (var i = 0; i < LatentSize; i++)
        {
            _eps[i] = (float)(_eps64[i] = random.NextDouble() - 0.5);
            _sample[i] = (float)(_sample64[i] = random.NextDouble() - 0.5);
            _noise[i] = (float)(_noise64[i] = random.NextDouble() - 0.5);
        }
    }

    [Benchmark(Baseline = true)]
    public void StepFloat32WithNoise() => _schedule.Step(0, _eps, _sample, _noise, _next);

    [Benchmark]
    public void StepFloat32LastStep() => _schedule.Step(3, _eps, _sample, ReadOnlySpan<float>.Empty, _next);

    [Benchmark]
    public void StepFloat64WithNoise() => _schedule.Step(0, _eps64, _sample64, _noise64, _next64);
}
