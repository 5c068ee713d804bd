using System.Globalization;

namespace NitroLive.Core.Scheduling;

/// <summary>
/// NitroFusion's <c>TimestepShiftLCMScheduler</c>: diffusers' <c>LCMScheduler</c> whose timesteps are scaled by
/// <c>shifted_timestep / num_train_timesteps</c> before they reach the UNet. Pure arithmetic; no ONNX Runtime.
/// </summary>
/// <remarks>
/// The shifted timestep drives the UNet and the step's <c>a_t</c>, <c>c_skip</c> and <c>c_out</c>; the unshifted
/// (origin) schedule decides the noise level the sample is re-noised to between steps. See docs/scheduler.md.
/// </remarks>
public sealed class TimestepShiftLcmScheduler
{
    private readonly LcmSchedulerConfig _config;
    private readonly int _shiftedTimestep;
    private readonly int _originalInferenceSteps;
    private readonly float[] _alphasFloat32;
    private readonly double[] _alphasFloat64;

    /// <summary>Creates the scheduler.</summary>
    /// <param name="config">The scheduler configuration (diffusers' LCM defaults match SDXL-base).</param>
    /// <param name="shiftedTimestep">NitroFusion's <c>shifted_timestep</c>: 250 for Realism, 500 for Vibrant.</param>
    /// <param name="originalInferenceSteps">The LCM distillation schedule length; NitroFusion sets 4.</param>
    /// <exception cref="ArgumentException">The configuration is not supported or a number is out of range.</exception>
    public TimestepShiftLcmScheduler(LcmSchedulerConfig config, int shiftedTimestep, int originalInferenceSteps = 4)
    {
        ArgumentNullException.ThrowIfNull(config);
        var problem = config.Validate();
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(config));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(shiftedTimestep);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shiftedTimestep, config.NumTrainTimesteps);
        ArgumentOutOfRangeException.ThrowIfLessThan(originalInferenceSteps, 1);
        if (originalInferenceSteps > config.NumTrainTimesteps)
        {
            throw new SchedulerException(string.Create(CultureInfo.InvariantCulture,
                $"`original_steps`: {originalInferenceSteps} cannot be larger than `self.config.train_timesteps`: {config.NumTrainTimesteps} as the unet model trained with this scheduler can only handle maximal {config.NumTrainTimesteps} timesteps."));
        }

        _config = config;
        _shiftedTimestep = shiftedTimestep;
        _originalInferenceSteps = originalInferenceSteps;
        _alphasFloat32 = TorchAlphaTables.AlphasCumprodFloat32(config);
        _alphasFloat64 = TorchAlphaTables.AlphasCumprodFloat64(config);
    }

    /// <summary>The configuration in effect.</summary>
    public LcmSchedulerConfig Config => _config;

    /// <summary>NitroFusion's <c>shifted_timestep</c>.</summary>
    public int ShiftedTimestep => _shiftedTimestep;

    /// <summary>The LCM distillation schedule length (<c>original_inference_steps</c>).</summary>
    public int OriginalInferenceSteps => _originalInferenceSteps;

    /// <summary><c>alphas_cumprod</c> exactly as diffusers builds it in torch float32.</summary>
    public IReadOnlyList<float> AlphasCumprodFloat32 => _alphasFloat32;

    /// <summary><c>alphas_cumprod</c> computed in float64 throughout.</summary>
    public IReadOnlyList<double> AlphasCumprod => _alphasFloat64;

    /// <summary>Builds the schedule for <paramref name="numInferenceSteps"/> UNet evaluations.</summary>
    /// <exception cref="SchedulerException">The step count is below 1 or the LCM schedule cannot provide it; the
    /// message is diffusers' own where diffusers raises one.</exception>
    public LcmSchedule CreateSchedule(int numInferenceSteps)
    {
        var origin = OriginTimesteps(numInferenceSteps);
        var count = origin.Length;
        var unet = new int[count];
        for (var i = 0; i < count; i++)
        {
            // torch: long * int stays long, `/ int` is true division in the default dtype (float32), `.long()` truncates.
            var product = (long)origin[i] * _shiftedTimestep;
            unet[i] = (int)((float)product / _config.NumTrainTimesteps);
        }

        var steps = new LcmStepCoefficients[count];
        var float32 = new LcmFloat32Scalars[count];
        var float64 = new LcmFloat64Scalars[count];
        for (var i = 0; i < count; i++)
        {
            var t = unet[i];
            int? next = i + 1 < count ? origin[i + 1] : null;

            // On the last step diffusers sets prev_timestep = timestep (the shifted one); the value is never used.
            var prevIndex = next ?? t;

            var scaling32 = ScalingsFloat32(t);
            var scaling64 = ScalingsFloat64(t);
            float32[i] = LcmFloat32Scalars.Create(_alphasFloat32[t], _alphasFloat32[prevIndex], scaling32.CSkip, scaling32.COut);
            float64[i] = LcmFloat64Scalars.Create(_alphasFloat64[t], _alphasFloat64[prevIndex], scaling64.CSkip, scaling64.COut);
            steps[i] = new LcmStepCoefficients(t, origin[i], next,
                _alphasFloat64[t], _alphasFloat64[prevIndex], scaling64.CSkip, scaling64.COut);
        }

        return new LcmSchedule(unet, origin, steps, float32, float64);
    }

    private int[] OriginTimesteps(int numInferenceSteps)
    {
        var trainSteps = _config.NumTrainTimesteps;
        var originalSteps = _originalInferenceSteps;
        if (numInferenceSteps < 1)
        {
            // diffusers divides by zero here (or, for negative counts, reports a misleading combination); say it plainly.
            throw new SchedulerException(string.Create(CultureInfo.InvariantCulture,
                $"`num_inference_steps` must be at least 1, got {numInferenceSteps}."));
        }

        if (numInferenceSteps > trainSteps)
        {
            throw new SchedulerException(string.Create(CultureInfo.InvariantCulture,
                $"`num_inference_steps`: {numInferenceSteps} cannot be larger than `self.config.train_timesteps`: {trainSteps} as the unet model trained with this scheduler can only handle maximal {trainSteps} timesteps."));
        }

        // strength is 1.0 for text-to-image, so the origin schedule has original_steps entries.
        const double Strength = 1.0;
        var k = trainSteps / originalSteps;
        var originCount = (int)(originalSteps * Strength);
        var skippingStep = originCount / numInferenceSteps;
        if (skippingStep < 1)
        {
            throw new SchedulerException(string.Create(CultureInfo.InvariantCulture,
                $"The combination of `original_steps x strength`: {originalSteps} x {PythonFloat(Strength)} is smaller than `num_inference_steps`: {numInferenceSteps}. Make sure to either reduce `num_inference_steps` to a value smaller than {originCount} or increase `strength` to a value higher than {PythonFloat((double)numInferenceSteps / originalSteps)}."));
        }

        if (numInferenceSteps > originalSteps)
        {
            throw new SchedulerException(string.Create(CultureInfo.InvariantCulture,
                $"`num_inference_steps`: {numInferenceSteps} cannot be larger than `original_inference_steps`: {originalSteps} because the final timestep schedule will be a subset of the `original_inference_steps`-sized initial timestep schedule."));
        }

        // lcm_origin = [1..originCount] * k - 1, reversed; then numpy.linspace(0, len, n, endpoint=False), floored.
        var result = new int[numInferenceSteps];
        var spacing = (double)originCount / numInferenceSteps;
        for (var i = 0; i < numInferenceSteps; i++)
        {
            var index = (int)Math.Floor(i * spacing);
            result[i] = ((originCount - index) * k) - 1;
        }

        return result;
    }

    private (float CSkip, float COut) ScalingsFloat32(int timestep)
    {
        // `timestep * timestep_scaling` makes a float32 0-dim tensor, so every scalar below is float32.
        // Python's `a / tensor` is `tensor.reciprocal() * a`, and `** 0.5` dispatches to sqrt.
        var sigmaSquared = (float)(_config.SigmaData * _config.SigmaData);
        var scaled = (float)timestep * (float)_config.TimestepScaling;
        var denominator = (scaled * scaled) + sigmaSquared;
        var cSkip = (1f / denominator) * sigmaSquared;
        var cOut = scaled / MathF.Sqrt(denominator);
        return (cSkip, cOut);
    }

    private (double CSkip, double COut) ScalingsFloat64(int timestep)
    {
        var sigmaSquared = _config.SigmaData * _config.SigmaData;
        var scaled = timestep * _config.TimestepScaling;
        var denominator = (scaled * scaled) + sigmaSquared;
        var cSkip = (1.0 / denominator) * sigmaSquared;
        var cOut = scaled / Math.Sqrt(denominator);
        return (cSkip, cOut);
    }

    /// <summary>Formats a double the way Python's <c>repr(float)</c> does for the values these messages hold.</summary>
    private static string PythonFloat(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal)
            || text.Contains("Infinity", StringComparison.Ordinal) || text.Contains("NaN", StringComparison.Ordinal)
            ? text
            : text + ".0";
    }
}
