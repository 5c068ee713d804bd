namespace NitroLive.Core.Scheduling;

/// <summary>
/// One step's scalars in float32, each rounded where diffusers rounds it with fp32 latents: the square roots are
/// taken of float32 values and the results stay float32.
/// </summary>
internal readonly record struct LcmFloat32Scalars(float AlphaProdT, float AlphaProdTPrev, float CSkip, float COut,
    float SqrtAlphaProdT, float SqrtBetaProdT, float SqrtAlphaProdTPrev, float SqrtBetaProdTPrev)
{
    public static LcmFloat32Scalars Create(float alphaProdT, float alphaProdTPrev, float cSkip, float cOut)
        => new(alphaProdT, alphaProdTPrev, cSkip, cOut,
            MathF.Sqrt(alphaProdT), MathF.Sqrt(1f - alphaProdT), MathF.Sqrt(alphaProdTPrev), MathF.Sqrt(1f - alphaProdTPrev));

    /// <summary>
    /// The scalars as diffusers uses them on float64 latents: still float32 0-dim tensors (they do not promote),
    /// widened to double only when they meet the latents.
    /// </summary>
    public LcmFloat64Scalars Widen()
        => new(AlphaProdT, AlphaProdTPrev, CSkip, COut, SqrtAlphaProdT, SqrtBetaProdT, SqrtAlphaProdTPrev, SqrtBetaProdTPrev);
}

/// <summary>One step's scalars in float64.</summary>
internal readonly record struct LcmFloat64Scalars(double AlphaProdT, double AlphaProdTPrev, double CSkip, double COut,
    double SqrtAlphaProdT, double SqrtBetaProdT, double SqrtAlphaProdTPrev, double SqrtBetaProdTPrev)
{
    public static LcmFloat64Scalars Create(double alphaProdT, double alphaProdTPrev, double cSkip, double cOut)
        => new(alphaProdT, alphaProdTPrev, cSkip, cOut,
            Math.Sqrt(alphaProdT), Math.Sqrt(1.0 - alphaProdT), Math.Sqrt(alphaProdTPrev), Math.Sqrt(1.0 - alphaProdTPrev));
}
