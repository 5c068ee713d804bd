using NitroLive.Core.Pipeline;

namespace NitroLive.Web.Live;

/// <summary>Validates and applies request changes against the options and the loaded model.</summary>
internal sealed class LiveRequestRules
{
    /// <summary>2^53 - 1: the largest integer a JavaScript number (and so a JSON client) holds exactly.</summary>
    public const long MaxSeed = 9_007_199_254_740_991;

    private readonly PromptBlocklist _blocklist;
    private readonly IImageGenerator? _reader;

    /// <param name="options">The live options.</param>
    /// <param name="model">What the loaded model offers.</param>
    /// <param name="blocklist">The kiosk blocklist, or none.</param>
    /// <param name="reader">
    /// The generator whose tokenizers read prompts (<see cref="IImageGenerator.PromptKey"/>), or null to answer no request
    /// with a picture already made.
    /// </param>
    public LiveRequestRules(LiveOptions options, ModelDescription model, PromptBlocklist? blocklist = null, IImageGenerator? reader = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        _blocklist = blocklist ?? new PromptBlocklist([]);
        _reader = options.ReuseFrameForAlikePrompt ? reader : null;

        int[] configured = options.AllowedSteps.Length == 0 ? [1, 2, 3, 4] : options.AllowedSteps;
        var steps = configured
            .Where(s => s is >= 1 and <= 4 && model.SupportedSteps.Contains(s))
            .Distinct()
            .Order()
            .ToArray();
        if (steps.Length == 0)
        {
            throw new InvalidOperationException(
                $"NitroLive:Live:AllowedSteps ({string.Join(", ", configured)}) has no step count that the model " +
                $"'{model.DisplayName}' supports ({string.Join(", ", model.SupportedSteps)}).");
        }

        if (model.Sizes.Count == 0)
        {
            throw new InvalidOperationException($"The model '{model.DisplayName}' declares no supported sizes.");
        }

        var native = (model.NativeWidth, model.NativeHeight);
        var size = model.Sizes.Contains(native) ? native : model.Sizes[0];
        var defaultSteps = steps.Contains(options.DefaultSteps) ? options.DefaultSteps : steps[0];

        Model = model;
        MaxPromptLength = options.MaxPromptLength;
        Limits = new LiveLimits(
            options.MaxPromptLength,
            steps,
            model.Sizes.ToArray(),
            model.Variant,
            [.. model.Variants.Select(v => VariantOf(v) with
            {
                ExamplePrompts = [.. v.ExamplePrompts.Where(p => p.Length <= options.MaxPromptLength)],
                Vocabulary = v.Vocabulary,
                DraftsUseTinyDecoder = v.DraftsUseTinyDecoder,
            })],
            new LiveRequest(string.Empty, defaultSteps, options.DefaultSeedMode, 0, size.Item1, size.Item2, model.Variant, options.DraftWhileTyping),
            options.ClientDebounceMs,
            options.MaxMembersPerSession,
            options.FrameFormat);
    }

    public ModelDescription Model { get; }

    public LiveLimits Limits { get; }

    /// <summary>The steps a draft is drawn in (<see cref="LiveRequest.DraftWhileTyping"/>): the fewest allowed.</summary>
    public int DraftSteps => Limits.AllowedSteps.Min();

    /// <summary>
    /// Whether a draft of <paramref name="request"/> would be quicker than its picture: drawn in fewer steps, or decoded
    /// with its variant's tiny decoder (<see cref="ModelVariantDescription.DraftsUseTinyDecoder"/>), which makes a draft
    /// worth having even at one step.
    /// </summary>
    public bool HasQuickerDraft(LiveRequest request) => request.Steps > DraftSteps || DraftsUseTinyDecoder(request.ModelVariant);

    /// <summary>Whether drafts of <paramref name="variant"/> decode with its tiny decoder.</summary>
    public bool DraftsUseTinyDecoder(string variant) => Limits.VariantNamed(variant)?.DraftsUseTinyDecoder ?? false;

    /// <summary>The key of <paramref name="request"/>'s draft, from the request's own key: only the steps and the decoder differ.</summary>
    public FrameKey? DraftKeyOf(LiveRequest request, FrameKey? key) =>
        key is { } full ? full with { Steps = DraftSteps, TinyDecoder = DraftsUseTinyDecoder(request.ModelVariant) } : null;

    private int MaxPromptLength { get; }

    /// <summary>
    /// What makes <paramref name="request"/>'s picture (<see cref="FrameKey"/>), so that a request with the key of a picture
    /// already made is answered with it; null in new-seed-per-request mode (every request is meant to be a new picture),
    /// when reuse is off, or when the tokenizers fail (reuse is only a saving: the generation then reports any real
    /// problem with the prompt as the request's error). Tokenizes the prompt (tens of microseconds, on the caller's thread).
    /// </summary>
    public FrameKey? KeyOf(LiveRequest request)
    {
        if (_reader is null || request.SeedMode != SeedMode.Fixed)
        {
            return null;
        }

        try
        {
            return FrameKey.Of(
                _reader.PromptKey(request.Prompt, request.ModelVariant), request.Seed, request.Steps, request.Width, request.Height, request.ModelVariant);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null;
        }
    }

    /// <summary>
    /// Applies a patch to a request; throws <see cref="LiveException"/> and leaves nothing changed on bad input, and on a
    /// prompt on the kiosk blocklist when <paramref name="applyBlocklist"/> is set.
    /// </summary>
    public LiveRequest Apply(LiveRequest current, LiveRequestPatch? patch, bool applyBlocklist = false)
    {
        if (patch is null)
        {
            throw new LiveException(LiveErrorCode.InvalidArgument, "The request change is missing.");
        }

        var prompt = patch.Prompt ?? current.Prompt;
        if (prompt.Length > MaxPromptLength)
        {
            throw new LiveException(
                LiveErrorCode.PromptTooLong,
                $"The prompt has {prompt.Length} characters; the limit is {MaxPromptLength}.");
        }

        // The resulting prompt is checked, not only a new one: a reroll or a steps change never regenerates a blocked prompt.
        if (applyBlocklist && _blocklist.IsBlocked(prompt))
        {
            // The message does not repeat the word: it goes to everybody's error line on a public screen.
            throw new LiveException(
                LiveErrorCode.BlockedPrompt,
                "This kiosk does not show that prompt: it holds a blocked word. Try something else.");
        }

        var steps = patch.Steps ?? current.Steps;
        if (!Limits.AllowedSteps.Contains(steps))
        {
            throw new LiveException(
                LiveErrorCode.StepsOutOfRange,
                $"Steps must be one of {string.Join(", ", Limits.AllowedSteps)}; got {steps}.");
        }

        var seedMode = patch.SeedMode ?? current.SeedMode;
        if (!Enum.IsDefined(seedMode))
        {
            throw new LiveException(LiveErrorCode.InvalidArgument, $"Unknown seed mode {(int)seedMode}.");
        }

        var seed = patch.Seed ?? current.Seed;
        if (seed is < 0 or > MaxSeed)
        {
            throw new LiveException(LiveErrorCode.SeedOutOfRange, $"The seed must be between 0 and {MaxSeed}; got {seed}.");
        }

        if (patch.Width.HasValue != patch.Height.HasValue)
        {
            throw new LiveException(LiveErrorCode.InvalidArgument, "Give both width and height, or neither.");
        }

        var width = patch.Width ?? current.Width;
        var height = patch.Height ?? current.Height;
        if (!Limits.Sizes.Contains((width, height)))
        {
            throw new LiveException(
                LiveErrorCode.UnsupportedSize,
                $"The size {width}x{height} is not supported; use one of {string.Join(", ", Limits.Sizes.Select(s => $"{s.Width}x{s.Height}"))}.");
        }

        var variant = patch.ModelVariant ?? current.ModelVariant;
        if (Limits.VariantNamed(variant) is null)
        {
            throw new LiveException(
                LiveErrorCode.UnsupportedVariant,
                $"The model variant '{variant}' is not offered here; use one of {string.Join(", ", Limits.ModelVariants.Select(v => $"'{v.Name}'"))}.");
        }

        return new LiveRequest(prompt, steps, seedMode, seed, width, height, variant, patch.DraftWhileTyping ?? current.DraftWhileTyping);
    }

    /// <summary>
    /// How the studio names a variant: a NitroFusion export's by its variant name ("Realism", "Vibrant"); the embedded
    /// demo model (and a variant without a name) by its display name.
    /// </summary>
    internal static LiveModelVariant VariantOf(ModelVariantDescription variant)
    {
        var name = variant.Name;
        var display = variant.IsEmbeddedDemo || name.Length == 0
            ? variant.DisplayName
            : char.ToUpperInvariant(name[0]) + name[1..];
        return new LiveModelVariant(name, display);
    }

    /// <summary>Whether <paramref name="text"/> holds a word of the kiosk blocklist.</summary>
    public bool IsBlocked(string text) => _blocklist.IsBlocked(text);

    /// <summary>A random seed every JSON client can hold exactly.</summary>
    public static long NewSeed() => System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue) * 4_194_304L
        + System.Security.Cryptography.RandomNumberGenerator.GetInt32(4_194_304);
}
