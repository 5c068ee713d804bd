using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NitroLive.Core.Scheduling;

/// <summary>
/// A fixed NitroFusion LCM schedule: the timesteps to run the UNet at and the update that turns each UNet output
/// into the next latent. Immutable and safe to share between threads.
/// </summary>
public sealed class LcmSchedule
{
    private readonly int[] _unetTimesteps;
    private readonly int[] _originTimesteps;
    private readonly LcmStepCoefficients[] _steps;
    private readonly LcmFloat32Scalars[] _float32;
    private readonly LcmFloat64Scalars[] _float64;

    internal LcmSchedule(int[] unetTimesteps, int[] originTimesteps, LcmStepCoefficients[] steps,
        LcmFloat32Scalars[] float32, LcmFloat64Scalars[] float64)
    {
        _unetTimesteps = unetTimesteps;
        _originTimesteps = originTimesteps;
        _steps = steps;
        _float32 = float32;
        _float64 = float64;
    }

    /// <summary>The number of UNet evaluations.</summary>
    public int Count => _unetTimesteps.Length;

    /// <summary>The shifted timesteps, in order: what the UNet receives.</summary>
    public IReadOnlyList<int> UnetTimesteps => _unetTimesteps;

    /// <summary>The unshifted LCM timesteps the shifted ones were derived from.</summary>
    public IReadOnlyList<int> OriginTimesteps => _originTimesteps;

    /// <summary>The float64 scalars of every step.</summary>
    public IReadOnlyList<LcmStepCoefficients> Steps => _steps;

    /// <summary>The float32 scalars of every step, as diffusers computes them with fp32 latents.</summary>
    internal IReadOnlyList<LcmFloat32Scalars> Float32Scalars => _float32;

    /// <summary>Whether step <paramref name="stepIndex"/> re-noises its result (every step but the last).</summary>
    public bool NeedsNoise(int stepIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(stepIndex, Count);
        return stepIndex < Count - 1;
    }

    /// <summary>
    /// Applies step <paramref name="stepIndex"/> in float32, rounding exactly where diffusers does with fp32 latents.
    /// </summary>
    /// <param name="stepIndex">The step, 0-based.</param>
    /// <param name="modelOutput">The UNet's epsilon prediction at <see cref="UnetTimesteps"/>[stepIndex].</param>
    /// <param name="sample">The latent the UNet saw.</param>
    /// <param name="noise">Standard normal noise of the latent's size when <see cref="NeedsNoise"/>; ignored (and may be empty) on the last step.</param>
    /// <param name="prevSample">Receives the next latent; may be the same memory as <paramref name="sample"/>.</param>
    public void Step(int stepIndex, ReadOnlySpan<float> modelOutput, ReadOnlySpan<float> sample, ReadOnlySpan<float> noise, Span<float> prevSample)
    {
        var renoise = CheckStepArguments(stepIndex, modelOutput, sample, noise, prevSample);
        StepFloat32(_float32[stepIndex], renoise, modelOutput, sample, noise, prevSample);
    }

    /// <summary>Step <paramref name="stepIndex"/>'s consistency-model prediction (<c>denoised</c>) alone, in float32.</summary>
    internal void Denoise(int stepIndex, ReadOnlySpan<float> modelOutput, ReadOnlySpan<float> sample, Span<float> denoised)
    {
        CheckStepArguments(stepIndex, modelOutput, sample, noise: default, denoised, noiseRequired: false);
        StepFloat32(_float32[stepIndex], renoise: false, modelOutput, sample, noise: default, denoised);
    }

    /// <summary>Step <paramref name="stepIndex"/>'s consistency-model prediction (<c>denoised</c>) alone, in float64.</summary>
    internal void Denoise(int stepIndex, ReadOnlySpan<double> modelOutput, ReadOnlySpan<double> sample, Span<double> denoised)
    {
        CheckStepArguments(stepIndex, modelOutput, sample, noise: default, denoised, noiseRequired: false);
        StepFloat64(_float64[stepIndex], renoise: false, modelOutput, sample, noise: default, denoised);
    }

    private static void StepFloat32(in LcmFloat32Scalars s, bool renoise, ReadOnlySpan<float> modelOutput, ReadOnlySpan<float> sample, ReadOnlySpan<float> noise, Span<float> prevSample)
    {
        var length = sample.Length;

        ref var eps = ref MemoryMarshal.GetReference(modelOutput);
        ref var x = ref MemoryMarshal.GetReference(sample);
        ref var z = ref MemoryMarshal.GetReference(noise);
        ref var output = ref MemoryMarshal.GetReference(prevSample);

        // Each operation is rounded separately (no fused multiply-add), like torch's one-kernel-per-op evaluation.
        var i = 0;
        if (Vector.IsHardwareAccelerated && length >= Vector<float>.Count)
        {
            var sqrtBeta = new Vector<float>(s.SqrtBetaProdT);
            var sqrtAlpha = new Vector<float>(s.SqrtAlphaProdT);
            var cOut = new Vector<float>(s.COut);
            var cSkip = new Vector<float>(s.CSkip);
            var sqrtAlphaPrev = new Vector<float>(s.SqrtAlphaProdTPrev);
            var sqrtBetaPrev = new Vector<float>(s.SqrtBetaProdTPrev);
            var last = length - Vector<float>.Count;
            for (; i <= last; i += Vector<float>.Count)
            {
                var xs = Vector.LoadUnsafe(ref x, (nuint)i);
                var predictedOriginal = (xs - (sqrtBeta * Vector.LoadUnsafe(ref eps, (nuint)i))) / sqrtAlpha;
                var denoised = (cOut * predictedOriginal) + (cSkip * xs);
                if (renoise)
                {
                    denoised = (sqrtAlphaPrev * denoised) + (sqrtBetaPrev * Vector.LoadUnsafe(ref z, (nuint)i));
                }

                denoised.StoreUnsafe(ref output, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            var xs = Unsafe.Add(ref x, i);
            var predictedOriginal = (xs - (s.SqrtBetaProdT * Unsafe.Add(ref eps, i))) / s.SqrtAlphaProdT;
            var denoised = (s.COut * predictedOriginal) + (s.CSkip * xs);
            if (renoise)
            {
                denoised = (s.SqrtAlphaProdTPrev * denoised) + (s.SqrtBetaProdTPrev * Unsafe.Add(ref z, i));
            }

            Unsafe.Add(ref output, i) = denoised;
        }
    }

    /// <summary>Applies step <paramref name="stepIndex"/> with every scalar and every operation in float64.</summary>
    /// <param name="stepIndex">The step, 0-based.</param>
    /// <param name="modelOutput">The UNet's epsilon prediction at <see cref="UnetTimesteps"/>[stepIndex].</param>
    /// <param name="sample">The latent the UNet saw.</param>
    /// <param name="noise">Standard normal noise of the latent's size when <see cref="NeedsNoise"/>; ignored (and may be empty) on the last step.</param>
    /// <param name="prevSample">Receives the next latent; may be the same memory as <paramref name="sample"/>.</param>
    public void Step(int stepIndex, ReadOnlySpan<double> modelOutput, ReadOnlySpan<double> sample, ReadOnlySpan<double> noise, Span<double> prevSample)
    {
        var renoise = CheckStepArguments(stepIndex, modelOutput, sample, noise, prevSample);
        StepFloat64(_float64[stepIndex], renoise, modelOutput, sample, noise, prevSample);
    }

    /// <summary>
    /// diffusers' own behaviour on float64 latents: float64 tensors, but the scalars are the float32 ones widened
    /// (README "float64_diffusers"). Kept for verification against the reference, not for production.
    /// </summary>
    internal void StepFloat64WithFloat32Scalars(int stepIndex, ReadOnlySpan<double> modelOutput, ReadOnlySpan<double> sample, ReadOnlySpan<double> noise, Span<double> prevSample)
    {
        var renoise = CheckStepArguments(stepIndex, modelOutput, sample, noise, prevSample);
        StepFloat64(_float32[stepIndex].Widen(), renoise, modelOutput, sample, noise, prevSample);
    }

    private static void StepFloat64(in LcmFloat64Scalars s, bool renoise, ReadOnlySpan<double> modelOutput, ReadOnlySpan<double> sample, ReadOnlySpan<double> noise, Span<double> prevSample)
    {
        for (var i = 0; i < sample.Length; i++)
        {
            var xs = sample[i];
            var predictedOriginal = (xs - (s.SqrtBetaProdT * modelOutput[i])) / s.SqrtAlphaProdT;
            var denoised = (s.COut * predictedOriginal) + (s.CSkip * xs);
            if (renoise)
            {
                denoised = (s.SqrtAlphaProdTPrev * denoised) + (s.SqrtBetaProdTPrev * noise[i]);
            }

            prevSample[i] = denoised;
        }
    }

    private bool CheckStepArguments<T>(int stepIndex, ReadOnlySpan<T> modelOutput, ReadOnlySpan<T> sample, ReadOnlySpan<T> noise, Span<T> prevSample, bool noiseRequired = true)
    {
        var renoise = NeedsNoise(stepIndex) && noiseRequired;
        var length = sample.Length;
        if (modelOutput.Length != length)
        {
            throw new ArgumentException($"modelOutput has {modelOutput.Length} elements but sample has {length}.", nameof(modelOutput));
        }

        if (prevSample.Length != length)
        {
            throw new ArgumentException($"prevSample has {prevSample.Length} elements but sample has {length}.", nameof(prevSample));
        }

        if (renoise && noise.Length != length)
        {
            throw new ArgumentException(
                $"Step {stepIndex} of {Count} re-noises the sample, so noise needs {length} elements; it has {noise.Length}.", nameof(noise));
        }

        // Elementwise in place is fine; a shifted overlap would read values this step already overwrote.
        ReadOnlySpan<T> output = prevSample;
        if (PartiallyOverlaps(output, sample) || PartiallyOverlaps(output, modelOutput) || (renoise && PartiallyOverlaps(output, noise)))
        {
            throw new ArgumentException("prevSample may be the same memory as an input, but must not overlap one at an offset.", nameof(prevSample));
        }

        return renoise;
    }

    private static bool PartiallyOverlaps<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        => a.Overlaps(b, out var offset) && offset != 0;
}
