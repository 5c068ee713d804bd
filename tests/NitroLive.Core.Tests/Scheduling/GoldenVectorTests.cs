using System.Text.Json;
using NitroLive.Core.Scheduling;
using Xunit.Abstractions;

namespace NitroLive.Core.Tests.Scheduling;

public sealed class GoldenVectorTests(ITestOutputHelper output)
{
    private const double Float32Tolerance = 1e-6;
    private const double Float64Tolerance = 1e-12;

    private static TimestepShiftLcmScheduler Scheduler(int shift) => new(new LcmSchedulerConfig(), shift);

    public static TheoryData<int, int> Cases() => SchedulerGoldens.CaseKeys();

    [Fact]
    public void Float32AlphasCumprodMatchesTorchBitForBit()
    {
        var expected = SchedulerGoldens.Doubles(SchedulerGoldens.Root.GetProperty("alphas_cumprod_float32_all"));
        var actual = Scheduler(250).AlphasCumprodFloat32;

        Assert.Equal(1000, expected.Length);
        Assert.Equal(1000, actual.Count);
        var mismatches = Enumerable.Range(0, 1000).Where(i => actual[i] != (float)expected[i]).ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} entries differ, first at {string.Join(", ", mismatches.Take(10))}");
    }

    [Fact]
    public void Float64AlphasCumprodMatchesTheReference()
    {
        var expected = SchedulerGoldens.Doubles(SchedulerGoldens.Root.GetProperty("alphas_cumprod_float64_all"));
        var actual = Scheduler(250).AlphasCumprod;

        Assert.Equal(expected.Length, actual.Count);
        var worst = Enumerable.Range(0, expected.Length).Max(i => Math.Abs(actual[i] - expected[i]));
        output.WriteLine($"max |float64 alphas - reference| = {worst:E3}");
        Assert.True(worst <= 1e-15, $"max difference {worst:E3}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TimestepsMatchTheGoldens(int shift, int steps)
    {
        var golden = SchedulerGoldens.Case(shift, steps);
        var schedule = Scheduler(shift).CreateSchedule(steps);

        Assert.Equal(SchedulerGoldens.Ints(golden.GetProperty("unet_timesteps")), schedule.UnetTimesteps);
        Assert.Equal(SchedulerGoldens.Ints(golden.GetProperty("origin_timesteps")), schedule.OriginTimesteps);
        Assert.Equal(steps, schedule.Count);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AlphasAtUsedTimestepsMatchTheGoldens(int shift, int steps)
    {
        var golden = SchedulerGoldens.Case(shift, steps);
        var scheduler = Scheduler(shift);
        foreach (var entry in golden.GetProperty("alphas_cumprod_at_used_timesteps").EnumerateObject())
        {
            var t = int.Parse(entry.Name, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal((float)entry.Value.GetProperty("float32").GetDouble(), scheduler.AlphasCumprodFloat32[t]);
            Assert.Equal(entry.Value.GetProperty("float64").GetDouble(), scheduler.AlphasCumprod[t], Float64Tolerance);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StepScalarsFollowTheShiftedAndOriginTimestepsOfTheGoldens(int shift, int steps)
    {
        var golden = SchedulerGoldens.Case(shift, steps);
        var schedule = Scheduler(shift).CreateSchedule(steps);

        foreach (var mode in new[] { "float32", "float64_diffusers", "float64_reference" })
        {
            var goldenSteps = golden.GetProperty(mode).GetProperty("steps").EnumerateArray().ToArray();
            Assert.Equal(steps, goldenSteps.Length);
            for (var i = 0; i < steps; i++)
            {
                var g = goldenSteps[i];
                var c = schedule.Steps[i];
                Assert.Equal(i, g.GetProperty("step_index").GetInt32());
                Assert.Equal(g.GetProperty("unet_timestep").GetInt32(), c.UnetTimestep);
                Assert.Equal(g.GetProperty("origin_timestep").GetInt32(), c.OriginTimestep);
                Assert.Equal(g.GetProperty("timestep_for_alpha_prod_t").GetInt32(), c.UnetTimestep);
                Assert.Equal(g.GetProperty("timestep_for_c_skip_c_out").GetInt32(), c.UnetTimestep);
                Assert.Equal(g.GetProperty("timestep_for_alpha_prod_t_prev").GetInt32(), c.NextOriginTimestep ?? c.UnetTimestep);
                Assert.Equal(g.GetProperty("noise_injected").GetBoolean(), schedule.NeedsNoise(i));
                Assert.Equal(i < steps - 1, c.NextOriginTimestep.HasValue);

                if (mode == "float64_reference")
                {
                    Assert.Equal(g.GetProperty("alpha_prod_t").GetDouble(), c.AlphaProdT, Float64Tolerance);
                    Assert.Equal(g.GetProperty("alpha_prod_t_prev").GetDouble(), c.AlphaProdTPrev, Float64Tolerance);
                    Assert.Equal(g.GetProperty("c_skip").GetDouble(), c.CSkip, 1e-20);
                    Assert.Equal(g.GetProperty("c_out").GetDouble(), c.COut, Float64Tolerance);
                }
                else
                {
                    // Both diffusers modes hold float32 scalars: they must be the same float32 numbers.
                    var f = schedule.Float32Scalars[i];
                    Assert.Equal((float)g.GetProperty("alpha_prod_t").GetDouble(), f.AlphaProdT);
                    Assert.Equal((float)g.GetProperty("alpha_prod_t_prev").GetDouble(), f.AlphaProdTPrev);
                    Assert.Equal((float)g.GetProperty("c_skip").GetDouble(), f.CSkip);
                    Assert.Equal((float)g.GetProperty("c_out").GetDouble(), f.COut);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float32StepsReproduceDiffusersFp32Tensors(int shift, int steps)
    {
        var mode = SchedulerGoldens.Case(shift, steps).GetProperty("float32");
        var schedule = Scheduler(shift).CreateSchedule(steps);
        var noiseByStep = SchedulerGoldens.Root.GetProperty("inputs").GetProperty("noise_float64_by_step_index");

        var sample = SchedulerGoldens.TensorFloat32(mode.GetProperty("initial_latents"));
        var worst = 0.0;
        var goldenSteps = mode.GetProperty("steps").EnumerateArray().ToArray();
        for (var i = 0; i < steps; i++)
        {
            var g = goldenSteps[i];
            worst = Math.Max(worst, AssertClose(SchedulerGoldens.Tensor(g.GetProperty("sample")), sample, Float32Tolerance, $"step {i} sample"));
            var modelOutput = SchedulerGoldens.TensorFloat32(g.GetProperty("model_output"));
            var noise = schedule.NeedsNoise(i) ? SchedulerGoldens.TensorFloat32(noiseByStep.GetProperty(i.ToString(System.Globalization.CultureInfo.InvariantCulture))) : [];
            if (schedule.NeedsNoise(i))
            {
                Assert.Equal(SchedulerGoldens.TensorFloat32(g.GetProperty("noise")), noise);
            }
            else
            {
                Assert.Equal(JsonValueKind.Null, g.GetProperty("noise").ValueKind);
            }

            var denoised = new float[sample.Length];
            schedule.Denoise(i, modelOutput, sample, denoised);
            worst = Math.Max(worst, AssertClose(SchedulerGoldens.Tensor(g.GetProperty("denoised")), denoised, Float32Tolerance, $"step {i} denoised"));

            var next = new float[sample.Length];
            schedule.Step(i, modelOutput, sample, noise, next);
            worst = Math.Max(worst, AssertClose(SchedulerGoldens.Tensor(g.GetProperty("prev_sample")), next, Float32Tolerance, $"step {i} prev_sample"));
            sample = next;
        }

        worst = Math.Max(worst, AssertClose(SchedulerGoldens.Tensor(mode.GetProperty("final_latents")), sample, Float32Tolerance, "final latents"));
        output.WriteLine($"shift {shift}, {steps} steps, float32: max abs difference {worst:E3}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float64StepsReproduceTheFloat64Reference(int shift, int steps)
        => RunFloat64(shift, steps, "float64_reference", Float64Tolerance, (s, i, m, x, z, p) => s.Step(i, m, x, z, p), (s, i, m, x, d) => s.Denoise(i, m, x, d));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float64StepsWithFloat32ScalarsReproduceDiffusersFloat64(int shift, int steps)
        => RunFloat64(shift, steps, "float64_diffusers", 1e-15, (s, i, m, x, z, p) => s.StepFloat64WithFloat32Scalars(i, m, x, z, p), null);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float64ReferenceAndDiffusersFloat64DifferByTheFloat32Scalars(int shift, int steps)
    {
        // The double path is the float64 reference, not diffusers' mixed precision: the two differ by about 1e-7.
        var golden = SchedulerGoldens.Case(shift, steps);
        var reference = SchedulerGoldens.Tensor(golden.GetProperty("float64_reference").GetProperty("final_latents"));
        var diffusers = SchedulerGoldens.Tensor(golden.GetProperty("float64_diffusers").GetProperty("final_latents"));
        var gap = reference.Zip(diffusers, (a, b) => Math.Abs(a - b)).Max();
        Assert.InRange(gap, 1e-9, 1e-5);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(8)]
    public void TooManyStepsRaiseDiffusersOwnMessage(int steps)
    {
        var expected = SchedulerGoldens.Root.GetProperty("errors").GetProperty(steps.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(expected.GetProperty("raised").GetBoolean());

        var error = Assert.Throws<SchedulerException>(() => Scheduler(250).CreateSchedule(steps));
        Assert.Equal(expected.GetProperty("message").GetString(), error.Message);
    }

    [Fact]
    public void EveryGoldenErrorIsReproduced()
    {
        foreach (var entry in SchedulerGoldens.Root.GetProperty("errors").EnumerateObject())
        {
            var steps = int.Parse(entry.Name, System.Globalization.CultureInfo.InvariantCulture);
            var error = Assert.Throws<SchedulerException>(() => Scheduler(500).CreateSchedule(steps));
            Assert.Equal(entry.Value.GetProperty("message").GetString(), error.Message);
        }
    }

    private delegate void StepDouble(LcmSchedule schedule, int index, double[] modelOutput, double[] sample, double[] noise, double[] prev);

    private delegate void DenoiseDouble(LcmSchedule schedule, int index, double[] modelOutput, double[] sample, double[] denoised);

    private void RunFloat64(int shift, int steps, string modeName, double tolerance, StepDouble step, DenoiseDouble? denoise)
    {
        var mode = SchedulerGoldens.Case(shift, steps).GetProperty(modeName);
        var schedule = Scheduler(shift).CreateSchedule(steps);
        var noiseByStep = SchedulerGoldens.Root.GetProperty("inputs").GetProperty("noise_float64_by_step_index");

        var sample = SchedulerGoldens.Tensor(mode.GetProperty("initial_latents"));
        Assert.Equal(SchedulerGoldens.Tensor(SchedulerGoldens.Root.GetProperty("inputs").GetProperty("sample_float64")), sample);
        var worst = 0.0;
        var goldenSteps = mode.GetProperty("steps").EnumerateArray().ToArray();
        for (var i = 0; i < steps; i++)
        {
            var g = goldenSteps[i];
            worst = Math.Max(worst, AssertClose(SchedulerGoldens.Tensor(g.GetProperty("sample")), sample, tolerance, $"step {i} sample"));
            var modelOutput = SchedulerGoldens.Tensor(g.GetProperty("model_output"));
            var noise = schedule.NeedsNoise(i) ? SchedulerGoldens.Tensor(noiseByStep.GetProperty(i.ToString(System.Globalization.CultureInfo.InvariantCulture))) : [];

            if (denoise is not null)
            {
                var denoised = new double[sample.Length];
                denoise(schedule, i, modelOutput, sample, denoised);
                worst = Math.Max(worst, AssertClose(SchedulerGoldens.Tensor(g.GetProperty("denoised")), denoised, tolerance, $"step {i} denoised"));
            }

            var next = new double[sample.Length];
            step(schedule, i, modelOutput, sample, noise, next);
            worst = Math.Max(worst, AssertClose(SchedulerGoldens.Tensor(g.GetProperty("prev_sample")), next, tolerance, $"step {i} prev_sample"));
            sample = next;
        }

        worst = Math.Max(worst, AssertClose(SchedulerGoldens.Tensor(mode.GetProperty("final_latents")), sample, tolerance, "final latents"));
        output.WriteLine($"shift {shift}, {steps} steps, {modeName}: max abs difference {worst:E3}");
    }

    private static double AssertClose(double[] expected, IReadOnlyList<float> actual, double tolerance, string what)
        => AssertClose(expected, actual.Select(v => (double)v).ToArray(), tolerance, what);

    private static double AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }

        Assert.True(worst <= tolerance, $"{what}: max abs difference {worst:E3} exceeds {tolerance:E1}");
        return worst;
    }
}
