namespace NitroLive.Core.Scheduling;

/// <summary>The scalars of one LCM step, in float64.</summary>
/// <param name="UnetTimestep">The shifted timestep: what the UNet receives and what <c>a_t</c>, <c>c_skip</c> and <c>c_out</c> use.</param>
/// <param name="OriginTimestep">The unshifted LCM timestep this step stands for.</param>
/// <param name="NextOriginTimestep">The unshifted timestep the sample is re-noised to, or <see langword="null"/> on the final step.</param>
/// <param name="AlphaProdT"><c>alphas_cumprod[UnetTimestep]</c>.</param>
/// <param name="AlphaProdTPrev"><c>alphas_cumprod[NextOriginTimestep]</c>; on the final step diffusers looks up the current (shifted) timestep instead, and the value is never used.</param>
/// <param name="CSkip">The consistency-model skip scaling <c>0.25 / ((10 t)^2 + 0.25)</c>.</param>
/// <param name="COut">The consistency-model output scaling <c>10 t / sqrt((10 t)^2 + 0.25)</c>.</param>
public readonly record struct LcmStepCoefficients(int UnetTimestep, int OriginTimestep, int? NextOriginTimestep,
    double AlphaProdT, double AlphaProdTPrev, double CSkip, double COut);
