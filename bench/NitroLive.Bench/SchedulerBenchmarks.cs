using BenchmarkDotNet.Attributes;
using NitroLive.Core.Scheduling;

namespace NitroLive.Bench;

/// <summary>
/// One float32 TimestepShiftLCM step on an SDXL-shaped latent: 1x4x32x32 (a 256x256 image) and 1x4x128x128
/// (1024x1024). The first step of a 4-step schedule re-noises; the last (and the only step of 1-step generation) does not.
/// </summary>
[MemoryDiagnoser]
public class SchedulerStepBenchmarks
{
    private LcmSchedule _schedule = null!;
    private float[] _modelOutput = [];
    private float[] _sample = [];
    private float[] _noise = [];
    private float[] _next = [];

    /// <summary>Latent height and width (channels 4, batch 1).</summary>
    [Params(32, 128)]
    public int LatentSize { get; set; }

    /// <summary>Builds NitroFusion Realism's 4-step schedule and random latents.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var scheduler = new TimestepShiftLcmScheduler(new LcmSchedulerConfig(), shiftedTimestep: 250, originalInferenceSteps: 4);
        _schedule = scheduler.CreateSchedule(4);
        var length = 4 * LatentSize * LatentSize;
        var random = new Random(42);
        _modelOutput = Gaussian(random, length);
        _sample = Gaussian(random, length);
        _noise = Gaussian(random, length);
        _next = new float[length];
    }

    /// <summary>A middle step: denoise, then re-noise to the next timestep.</summary>
    [Benchmark(Baseline = true)]
    public float StepWithNoise()
    {
        _schedule.Step(0, _modelOutput, _sample, _noise, _next);
        return _next[0];
    }

    /// <summary>The final step (and 1-step generation): denoise only.</summary>
    [Benchmark]
    public float LastStep()
    {
        _schedule.Step(3, _modelOutput, _sample, [], _next);
        return _next[0];
    }

    private static float[] Gaussian(Random random, int length)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            // Box-Muller: the benchmark needs realistic magnitudes, not a particular generator.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            values[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }

        return values;
    }
}
