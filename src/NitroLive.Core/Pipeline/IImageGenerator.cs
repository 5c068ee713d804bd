namespace NitroLive.Core.Pipeline;

/// <summary>
/// Turns one <see cref="GenerationRequest"/> into RGB pixels. The live service owns exactly one instance and never has
/// more than <see cref="Concurrency"/> calls in flight, so an implementation with the default of 1 need not be
/// thread-safe.
/// </summary>
public interface IImageGenerator
{
    /// <summary>What the loaded model is and what it accepts.</summary>
    ModelDescription Model { get; }

    /// <summary>How many <see cref="GenerateAsync"/> calls may run at once (a <see cref="GeneratorPool"/> runs several).</summary>
    int Concurrency => 1;

    /// <summary>
    /// The prompt as the text encoders of <paramref name="variant"/> read it: equal keys mean exactly the same tokens, so
    /// the same seed, size and steps give the same picture. CLIP lower-cases, collapses and trims whitespace, unescapes
    /// HTML and keeps only the first 75 tokens, so a trailing space, a change of case or a letter past the limit changes
    /// nothing. The default is the prompt itself (only equal strings read alike).
    /// </summary>
    /// <param name="prompt">The prompt as typed.</param>
    /// <param name="variant">The variant whose tokenizers read it, or null for the default variant.</param>
    string PromptKey(string prompt, string? variant = null) => prompt;

    /// <summary>True when both prompts have the same <see cref="PromptKey"/>.</summary>
    /// <param name="first">One prompt.</param>
    /// <param name="second">The other prompt.</param>
    /// <param name="variant">The variant whose tokenizers decide, or null for the default variant.</param>
    bool PromptsReadAlike(string first, string second, string? variant = null) =>
        string.Equals(PromptKey(first, variant), PromptKey(second, variant), StringComparison.Ordinal);

    /// <summary>Generates one image per request; all requests in a batch share width, height, steps and variant.</summary>
    /// <param name="requests">One or more requests; more than one only when <see cref="ModelDescription.MaxBatch"/> allows.</param>
    /// <param name="cancellationToken">Cancels the run, reaching ONNX Runtime through <c>RunOptions.Terminate</c>.</param>
    Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken);
}

/// <summary>One text-to-image request.</summary>
/// <param name="Prompt">The prompt as typed.</param>
/// <param name="Steps">Denoising steps, 1 to the model's original_inference_steps.</param>
/// <param name="Seed">Seed of the initial Gaussian noise and of the re-noising between steps.</param>
/// <param name="Width">Image width in pixels, a multiple of the VAE scale factor.</param>
/// <param name="Height">Image height in pixels, a multiple of the VAE scale factor.</param>
/// <param name="Variant">
/// The model variant to run (one of <see cref="ModelDescription.Variants"/>), or null for the default variant
/// (<see cref="ModelDescription.Variant"/>).
/// </param>
public sealed record GenerationRequest(string Prompt, int Steps, long Seed, int Width, int Height, string? Variant = null)
{
    /// <summary>
    /// A quick picture of a prompt that is still changing: decoded with the model's tiny decoder when
    /// <see cref="ModelDescription.DraftsUseTinyDecoder"/> (its variant's) says drafts have one, otherwise exactly like
    /// any other request. A batch is all drafts or none.
    /// </summary>
    public bool Draft { get; init; }
}

/// <summary>The pixels of one generated image and what each stage cost.</summary>
/// <param name="Request">The request this image answers.</param>
/// <param name="Rgb">Interleaved 8-bit RGB, row-major, <c>Width * Height * 3</c> bytes.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Timings">Per-stage timings.</param>
public sealed record GenerationResult(GenerationRequest Request, byte[] Rgb, int Width, int Height, StageTimings Timings);

/// <summary>Per-stage wall-clock timings of one generation, in milliseconds.</summary>
/// <param name="TokenizeMs">CLIP tokenization of this request's prompt by both tokenizers (0 on a cache hit).</param>
/// <param name="TextEncodeMs">Both text encoders on this request's prompt (0 on a cache hit).</param>
/// <param name="TextCacheHit">Whether the prompt embeddings came from the cache.</param>
/// <param name="UnetStepMs">UNet (plus scheduler step) time of each denoising step.</param>
/// <param name="DecodeMs">VAE decode and conversion to RGB bytes.</param>
/// <param name="TotalMs">The whole generation, tokenize to RGB.</param>
/// <param name="Provider">The execution provider that ran it ("CPU", "CUDA").</param>
/// <param name="TinyDecoder">Whether the model's tiny decoder decoded it (a draft, <see cref="GenerationRequest.Draft"/>).</param>
public sealed record StageTimings(
    double TokenizeMs,
    double TextEncodeMs,
    bool TextCacheHit,
    IReadOnlyList<double> UnetStepMs,
    double DecodeMs,
    double TotalMs,
    string Provider,
    bool TinyDecoder = false);

/// <summary>What a loaded model is and what it accepts; read from its folder, never assumed.</summary>
/// <param name="DisplayName">Human-readable name from nitrolive.json.</param>
/// <param name="Variant">"realism", "vibrant", "tiny", ...</param>
/// <param name="IsEmbeddedDemo">True for the embedded demo model trained by the project.</param>
/// <param name="NativeWidth">Native width in pixels.</param>
/// <param name="NativeHeight">Native height in pixels.</param>
/// <param name="Sizes">Sizes the model supports (width, height).</param>
/// <param name="SupportedSteps">Step counts the model supports.</param>
/// <param name="ShiftedTimestep">NitroFusion's timestep shift (250 Realism, 500 Vibrant).</param>
/// <param name="MaxBatch">Largest batch one call may carry.</param>
/// <param name="Provider">Execution provider in use.</param>
/// <param name="License">Licence line from nitrolive.json.</param>
public sealed record ModelDescription(
    string DisplayName,
    string Variant,
    bool IsEmbeddedDemo,
    int NativeWidth,
    int NativeHeight,
    IReadOnlyList<(int Width, int Height)> Sizes,
    IReadOnlyList<int> SupportedSteps,
    int ShiftedTimestep,
    int MaxBatch,
    string Provider,
    string License)
{
    private readonly IReadOnlyList<ModelVariantDescription>? _variants;

    /// <summary>Prompts that show what the default variant draws well (nitrolive.json's <c>example_prompts</c>); may be empty.</summary>
    public IReadOnlyList<string> ExamplePrompts { get; init; } = [];

    /// <summary>The words the default variant knows (nitrolive.json's <c>vocabulary</c>, lower case); empty when it reads any text.</summary>
    public IReadOnlyList<string> Vocabulary { get; init; } = [];

    /// <summary>
    /// Whether the default variant decodes <see cref="GenerationRequest.Draft"/> requests with a tiny decoder of their
    /// own (quicker, slightly less faithful); false when drafts decode like every other request.
    /// </summary>
    public bool DraftsUseTinyDecoder { get; init; }

    /// <summary>
    /// The variants a request may name, the default (this description's <see cref="Variant"/>) first. A single model
    /// folder is one variant; a folder of model folders (a NitroFusion export's realism and vibrant) is one per folder.
    /// </summary>
    public IReadOnlyList<ModelVariantDescription> Variants
    {
        get => _variants ?? [new ModelVariantDescription(Variant, DisplayName, IsEmbeddedDemo, ShiftedTimestep, License) { ExamplePrompts = ExamplePrompts, Vocabulary = Vocabulary, DraftsUseTinyDecoder = DraftsUseTinyDecoder }];
        init => _variants = value;
    }

    /// <summary>
    /// True when <paramref name="other"/> offers what this model offers to the live service: the same sizes, steps and
    /// native size on the same provider (what generators behind one composite generator must share).
    /// </summary>
    internal bool OffersTheSameAs(ModelDescription other) =>
        Sizes.SequenceEqual(other.Sizes) && SupportedSteps.SequenceEqual(other.SupportedSteps)
        && (NativeWidth, NativeHeight) == (other.NativeWidth, other.NativeHeight)
        && string.Equals(Provider, other.Provider, StringComparison.Ordinal);
}

/// <summary>One variant a generator offers.</summary>
/// <param name="Name">What <see cref="GenerationRequest.Variant"/> names ("realism", "vibrant", "tiny").</param>
/// <param name="DisplayName">Human-readable name from its nitrolive.json.</param>
/// <param name="IsEmbeddedDemo">True for the embedded demo model trained by the project.</param>
/// <param name="ShiftedTimestep">NitroFusion's timestep shift of this variant (250 Realism, 500 Vibrant).</param>
/// <param name="License">Licence line from its nitrolive.json.</param>
public sealed record ModelVariantDescription(string Name, string DisplayName, bool IsEmbeddedDemo, int ShiftedTimestep, string License)
{
    /// <summary>Prompts that show what this variant draws well (its nitrolive.json's <c>example_prompts</c>); may be empty.</summary>
    public IReadOnlyList<string> ExamplePrompts { get; init; } = [];

    /// <summary>The words this variant knows (its nitrolive.json's <c>vocabulary</c>, lower case); empty when it reads any text.</summary>
    public IReadOnlyList<string> Vocabulary { get; init; } = [];

    /// <summary>Whether this variant decodes <see cref="GenerationRequest.Draft"/> requests with a tiny decoder of their own.</summary>
    public bool DraftsUseTinyDecoder { get; init; }
}
