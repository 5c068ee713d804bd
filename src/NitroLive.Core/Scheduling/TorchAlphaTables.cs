namespace NitroLive.Core.Scheduling;

/// <summary>
/// Builds <c>alphas_cumprod</c> the way diffusers does on torch's CPU kernels, so the float32 table is
/// bit-identical to the one the reference pipeline indexes.
/// </summary>
/// <remarks>
/// Three torch details decide the last bits, and all three are needed for the 1000 float32 entries to match:
/// <list type="bullet">
/// <item><c>torch.linspace</c> fills the tensor in SIMD blocks (AVX2: 8 floats, two blocks per iteration, a scalar
/// tail). Each block starts at <c>start + step*idx</c> (or <c>end - step*(steps-1-idx)</c> from the halfway point),
/// which GCC contracts into one fused multiply-add; the lanes are <c>base + k*step</c>. Computing every element as
/// <c>start + i*step</c> instead is off by an ulp in a handful of betas.</item>
/// <item><c>pow(x, 2)</c> is <c>x*x</c> and <c>1.0 - betas</c> is one rounded float32 subtraction.</item>
/// <item><c>torch.cumprod</c> on the CPU accumulates float32 input in a double and rounds each output to float32.</item>
/// </list>
/// The float64 table uses the same kernel shape with double lanes (4 per AVX2 vector).
/// </remarks>
internal static class TorchAlphaTables
{
    private const int AvxFloatLanes = 8;
    private const int AvxDoubleLanes = 4;

    public static float[] AlphasCumprodFloat32(LcmSchedulerConfig config)
    {
        var n = config.NumTrainTimesteps;
        var betas = config.BetaSchedule == "scaled_linear"
            ? LinspaceFloat32((float)Math.Sqrt(config.BetaStart), (float)Math.Sqrt(config.BetaEnd), n)
            : LinspaceFloat32((float)config.BetaStart, (float)config.BetaEnd, n);
        if (config.BetaSchedule == "scaled_linear")
        {
            for (var i = 0; i < n; i++)
            {
                betas[i] *= betas[i];
            }
        }

        var result = new float[n];
        var accumulator = 1.0;
        for (var i = 0; i < n; i++)
        {
            accumulator *= 1f - betas[i];
            result[i] = (float)accumulator;
        }

        return result;
    }

    public static double[] AlphasCumprodFloat64(LcmSchedulerConfig config)
    {
        var n = config.NumTrainTimesteps;
        var betas = config.BetaSchedule == "scaled_linear"
            ? LinspaceFloat64(Math.Sqrt(config.BetaStart), Math.Sqrt(config.BetaEnd), n)
            : LinspaceFloat64(config.BetaStart, config.BetaEnd, n);
        if (config.BetaSchedule == "scaled_linear")
        {
            for (var i = 0; i < n; i++)
            {
                betas[i] *= betas[i];
            }
        }

        var result = new double[n];
        var accumulator = 1.0;
        for (var i = 0; i < n; i++)
        {
            accumulator *= 1.0 - betas[i];
            result[i] = accumulator;
        }

        return result;
    }

    internal static float[] LinspaceFloat32(float start, float end, int steps)
    {
        var result = new float[steps];
        if (steps == 1)
        {
            result[0] = start;
            return result;
        }

        var step = (end - start) / (steps - 1);
        var halfway = steps / 2;
        float At(int idx) => idx < halfway
            ? MathF.FusedMultiplyAdd(step, idx, start)
            : MathF.FusedMultiplyAdd(-step, steps - idx - 1, end);

        var i = 0;
        for (; i <= steps - (2 * AvxFloatLanes); i += 2 * AvxFloatLanes)
        {
            for (var block = 0; block < 2; block++)
            {
                var blockStart = i + (block * AvxFloatLanes);
                var blockBase = At(blockStart);
                for (var lane = 0; lane < AvxFloatLanes; lane++)
                {
                    result[blockStart + lane] = MathF.FusedMultiplyAdd(lane, step, blockBase);
                }
            }
        }

        for (; i < steps; i++)
        {
            result[i] = At(i);
        }

        return result;
    }

    internal static double[] LinspaceFloat64(double start, double end, int steps)
    {
        var result = new double[steps];
        if (steps == 1)
        {
            result[0] = start;
            return result;
        }

        var step = (end - start) / (steps - 1);
        var halfway = steps / 2;
        double At(int idx) => idx < halfway
            ? Math.FusedMultiplyAdd(step, idx, start)
            : Math.FusedMultiplyAdd(-step, steps - idx - 1, end);

        var i = 0;
        for (; i <= steps - (2 * AvxDoubleLanes); i += 2 * AvxDoubleLanes)
        {
            for (var block = 0; block < 2; block++)
            {
                var blockStart = i + (block * AvxDoubleLanes);
                var blockBase = At(blockStart);
                for (var lane = 0; lane < AvxDoubleLanes; lane++)
                {
                    result[blockStart + lane] = Math.FusedMultiplyAdd(lane, step, blockBase);
                }
            }
        }

        for (; i < steps; i++)
        {
            result[i] = At(i);
        }

        return result;
    }
}
