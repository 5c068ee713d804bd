using NitroLive.Core.Scheduling;

namespace NitroLive.Core.Tests.Scheduling;

public sealed class ScheduleFormulaTests
{
    private static TimestepShiftLcmScheduler Scheduler(int shift) => new(new LcmSchedulerConfig(), shift);

    // The timestep table of shared/reference/README.md.
    public static TheoryData<int, int, int[], int[]> ReadmeTable() => new()
    {
        { 250, 1, [999], [249] },
        { 250, 2, [999, 499], [249, 124] },
        { 250, 3, [999, 749, 499], [249, 187, 124] },
        { 250, 4, [999, 749, 499, 249], [249, 187, 124, 62] },
        { 500, 1, [999], [499] },
        { 500, 2, [999, 499], [499, 249] },
        { 500, 3, [999, 749, 499], [499, 374, 249] },
        { 500, 4, [999, 749, 499, 249], [499, 374, 249, 124] },
    };

    [Theory]
    [MemberData(nameof(ReadmeTable))]
    public void TimestepsMatchTheReadmeTableForRealismAndVibrant(int shift, int steps, int[] origin, int[] unet)
    {
        var schedule = Scheduler(shift).CreateSchedule(steps);

        Assert.Equal(origin, schedule.OriginTimesteps);
        Assert.Equal(unet, schedule.UnetTimesteps);
        Assert.Equal(unet, schedule.Steps.Select(s => s.UnetTimestep));
        Assert.Equal(origin, schedule.Steps.Select(s => s.OriginTimestep));
        Assert.Equal(origin.Skip(1).Select(t => (int?)t).Append(null), schedule.Steps.Select(s => s.NextOriginTimestep));
    }

    [Theory]
    [MemberData(nameof(ReadmeTable))]
    public void ScalarsUseTheShiftedTimestepAndRenoiseToTheNextOriginTimestep(int shift, int steps, int[] origin, int[] unet)
    {
        var scheduler = Scheduler(shift);
        var schedule = scheduler.CreateSchedule(steps);
        var alphas = scheduler.AlphasCumprod;
        var alphas32 = scheduler.AlphasCumprodFloat32;

        for (var i = 0; i < steps; i++)
        {
            var t = unet[i];
            var prev = i + 1 < steps ? origin[i + 1] : t;
            var scaled = t * 10.0;
            var step = schedule.Steps[i];
            Assert.Equal(alphas[t], step.AlphaProdT);
            Assert.Equal(alphas[prev], step.AlphaProdTPrev);
            Assert.Equal(0.25 / ((scaled * scaled) + 0.25), step.CSkip, 1e-22);
            Assert.Equal(scaled / Math.Sqrt((scaled * scaled) + 0.25), step.COut, 1e-15);

            var f = schedule.Float32Scalars[i];
            Assert.Equal(alphas32[t], f.AlphaProdT);
            Assert.Equal(alphas32[prev], f.AlphaProdTPrev);
            Assert.Equal(MathF.Sqrt(alphas32[t]), f.SqrtAlphaProdT);
            Assert.Equal(MathF.Sqrt(1f - alphas32[t]), f.SqrtBetaProdT);
            Assert.Equal(MathF.Sqrt(alphas32[prev]), f.SqrtAlphaProdTPrev);
            Assert.Equal(MathF.Sqrt(1f - alphas32[prev]), f.SqrtBetaProdTPrev);
        }
    }

    [Theory]
    [InlineData(500, 2)]
    [InlineData(500, 3)]
    [InlineData(500, 4)]
    [InlineData(250, 3)]
    public void MultiStepChainsFollowTheFormulas(int shift, int steps)
    {
        var scheduler = Scheduler(shift);
        var schedule = scheduler.CreateSchedule(steps);
        var alphas = scheduler.AlphasCumprod;
        var random = new Random(1234 + shift + steps);
        const int Size = 4 * 9 * 7; // not a multiple of any SIMD width, so the scalar tail runs too

        var sample = Gaussian(random, Size);
        var expected = (double[])sample.Clone();
        var sample32 = sample.Select(v => (float)v).ToArray();
        var expected32 = (float[])sample32.Clone();
        for (var i = 0; i < steps; i++)
        {
            var eps = Gaussian(random, Size);
            var noise = schedule.NeedsNoise(i) ? Gaussian(random, Size) : [];
            var eps32 = eps.Select(v => (float)v).ToArray();
            var noise32 = noise.Select(v => (float)v).ToArray();

            // Independent transcription of the README's step, in float64...
            var t = schedule.UnetTimesteps[i];
            var aT = alphas[t];
            var st = t * 10.0;
            var cSkip = 0.25 / ((st * st) + 0.25);
            var cOut = st / Math.Sqrt((st * st) + 0.25);
            for (var k = 0; k < Size; k++)
            {
                var x0 = (expected[k] - (Math.Sqrt(1 - aT) * eps[k])) / Math.Sqrt(aT);
                var denoised = (cOut * x0) + (cSkip * expected[k]);
                if (i != steps - 1)
                {
                    var aPrev = alphas[schedule.OriginTimesteps[i + 1]];
                    expected[k] = (Math.Sqrt(aPrev) * denoised) + (Math.Sqrt(1 - aPrev) * noise[k]);
                }
                else
                {
                    expected[k] = denoised;
                }
            }

            // ...and in float32 with the float32 table, one rounding per operation.
            var a32 = scheduler.AlphasCumprodFloat32[t];
            var st32 = t * 10f;
            var den32 = (st32 * st32) + 0.25f;
            var cSkip32 = (1f / den32) * 0.25f;
            var cOut32 = st32 / MathF.Sqrt(den32);
            for (var k = 0; k < Size; k++)
            {
                var x0 = (expected32[k] - (MathF.Sqrt(1f - a32) * eps32[k])) / MathF.Sqrt(a32);
                var denoised = (cOut32 * x0) + (cSkip32 * expected32[k]);
                if (i != steps - 1)
                {
                    var aPrev = scheduler.AlphasCumprodFloat32[schedule.OriginTimesteps[i + 1]];
                    expected32[k] = (MathF.Sqrt(aPrev) * denoised) + (MathF.Sqrt(1f - aPrev) * noise32[k]);
                }
                else
                {
                    expected32[k] = denoised;
                }
            }

            schedule.Step(i, eps, sample, noise, sample);
            schedule.Step(i, eps32, sample32, noise32, sample32);
            for (var k = 0; k < Size; k++)
            {
                Assert.Equal(expected[k], sample[k], 1e-12);
                Assert.Equal(expected32[k], sample32[k]);
            }
        }
    }

    [Fact]
    public void WrongShiftWouldBeCaughtBecauseRenoisingUsesTheOriginTimestep()
    {
        // S=250, n=2: step 0 predicts with a(249) and re-noises to a(499), not to a(124).
        var scheduler = Scheduler(250);
        var step0 = scheduler.CreateSchedule(2).Steps[0];
        Assert.Equal(scheduler.AlphasCumprod[249], step0.AlphaProdT);
        Assert.Equal(scheduler.AlphasCumprod[499], step0.AlphaProdTPrev);
        Assert.NotEqual(scheduler.AlphasCumprod[124], step0.AlphaProdTPrev);
    }

    [Fact]
    public void TheLastStepAddsNoNoiseAndAcceptsAnEmptyNoiseSpan()
    {
        var schedule = Scheduler(250).CreateSchedule(1);
        Assert.False(schedule.NeedsNoise(0));

        float[] sample = [0.5f, -1f, 2f];
        float[] eps = [0.1f, 0.2f, -0.3f];
        var withoutNoise = new float[3];
        var withNoise = new float[3];
        schedule.Step(0, eps, sample, [], withoutNoise);
        schedule.Step(0, eps, sample, [100f, 100f, 100f], withNoise);
        Assert.Equal(withoutNoise, withNoise);

        var denoised = new float[3];
        schedule.Denoise(0, eps, sample, denoised);
        Assert.Equal(denoised, withoutNoise);
    }

    [Fact]
    public void StepInPlaceEqualsStepIntoASeparateBuffer()
    {
        var schedule = Scheduler(500).CreateSchedule(3);
        var random = new Random(7);
        var sample = Gaussian(random, 1000).Select(v => (float)v).ToArray();
        var eps = Gaussian(random, 1000).Select(v => (float)v).ToArray();
        var noise = Gaussian(random, 1000).Select(v => (float)v).ToArray();

        var separate = new float[1000];
        schedule.Step(0, eps, sample, noise, separate);
        schedule.Step(0, eps, sample, noise, sample);
        Assert.Equal(separate, sample);
    }

    [Fact]
    public void VectorAndScalarPathsAgreeOnEveryElement()
    {
        var schedule = Scheduler(250).CreateSchedule(4);
        var random = new Random(11);
        const int Size = 1037;
        var sample = Gaussian(random, Size).Select(v => (float)v).ToArray();
        var eps = Gaussian(random, Size).Select(v => (float)v).ToArray();
        var noise = Gaussian(random, Size).Select(v => (float)v).ToArray();
        var all = new float[Size];
        schedule.Step(1, eps, sample, noise, all);

        // One element at a time never reaches the SIMD loop.
        var single = new float[1];
        for (var k = 0; k < Size; k++)
        {
            schedule.Step(1, eps.AsSpan(k, 1), sample.AsSpan(k, 1), noise.AsSpan(k, 1), single);
            Assert.Equal(single[0], all[k]);
        }
    }

    [Fact]
    public void MismatchedBuffersAreRejected()
    {
        var schedule = Scheduler(250).CreateSchedule(2);
        var ok = new float[8];
        Assert.Throws<ArgumentException>(() => schedule.Step(0, new float[7], ok, ok, new float[8]));
        Assert.Throws<ArgumentException>(() => schedule.Step(0, ok, ok, ok, new float[9]));
        var noiseError = Assert.Throws<ArgumentException>(() => schedule.Step(0, ok, ok, [], new float[8]));
        Assert.Contains("noise", noiseError.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.Step(2, ok, ok, ok, new float[8]));
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.Step(-1, ok, ok, ok, new float[8]));

        var buffer = new float[9];
        Assert.Throws<ArgumentException>(() => schedule.Step(0, ok, buffer.AsSpan(0, 8), ok, buffer.AsSpan(1, 8)));
        Assert.Throws<ArgumentException>(() => schedule.Step(0, new double[8], new double[8], new double[3], new double[8]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void FewerThanOneStepIsAnError(int steps)
    {
        var error = Assert.Throws<SchedulerException>(() => Scheduler(250).CreateSchedule(steps));
        Assert.Equal($"`num_inference_steps` must be at least 1, got {steps}.", error.Message);
        Assert.IsAssignableFrom<ArgumentException>(error);
    }

    [Fact]
    public void MoreStepsThanTrainingTimestepsUsesDiffusersMessage()
    {
        var error = Assert.Throws<SchedulerException>(() => Scheduler(250).CreateSchedule(1001));
        Assert.Equal("`num_inference_steps`: 1001 cannot be larger than `self.config.train_timesteps`: 1000 as the unet model trained with this scheduler can only handle maximal 1000 timesteps.", error.Message);
    }

    [Fact]
    public void NonIntegralStrengthRatioIsFormattedLikePython()
    {
        var error = Assert.Throws<SchedulerException>(() => new TimestepShiftLcmScheduler(new LcmSchedulerConfig(), 250, originalInferenceSteps: 3).CreateSchedule(4));
        Assert.Equal("The combination of `original_steps x strength`: 3 x 1.0 is smaller than `num_inference_steps`: 4. Make sure to either reduce `num_inference_steps` to a value smaller than 3 or increase `strength` to a value higher than 1.3333333333333333.", error.Message);
    }

    [Fact]
    public void OtherOriginalStepCountsFollowDiffusersLinspace()
    {
        // original 8, k = 125: origin [999, 874, ..., 124]; 3 steps take indices floor([0, 8/3, 16/3]) = [0, 2, 5].
        var schedule = new TimestepShiftLcmScheduler(new LcmSchedulerConfig(), 500, originalInferenceSteps: 8).CreateSchedule(3);
        Assert.Equal([999, 749, 374], schedule.OriginTimesteps);
        Assert.Equal([499, 374, 187], schedule.UnetTimesteps);
    }

    [Fact]
    public void ConstructorRejectsOutOfRangeArguments()
    {
        var config = new LcmSchedulerConfig();
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimestepShiftLcmScheduler(config, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimestepShiftLcmScheduler(config, 1001));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimestepShiftLcmScheduler(config, 250, 0));
        Assert.Throws<SchedulerException>(() => new TimestepShiftLcmScheduler(config, 250, 1001));
        Assert.Throws<ArgumentException>(() => new TimestepShiftLcmScheduler(config with { PredictionType = "v_prediction" }, 250));
    }

    private static double[] Gaussian(Random random, int count)
    {
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        }

        return values;
    }
}
