using Microsoft.Extensions.Options;
using NitroLive.Web.Live;

namespace NitroLive.Web.Components.Services;

/// <summary>
/// What the pages tell people about prompts, from the model folder, since only the model knows it: the prompts the
/// studio suggests and a kiosk cycles through in attract mode (nitrolive.json's <c>example_prompts</c>; the embedded
/// demo model draws coloured shapes, and a suggestion it cannot draw shows a picture that does not match its words),
/// and the words a variant knows (<c>vocabulary</c>).
/// </summary>
internal sealed class PromptSuggestions
{
    /// <summary>How many suggestions the studio shows at once.</summary>
    public const int StudioCount = 4;

    private readonly ILiveService _live;
    private readonly Dictionary<string, PromptVocabulary> _vocabularies;

    public PromptSuggestions(ILiveService live, IOptions<KioskOptions> kiosk, PromptBlocklist blocklist)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(kiosk);
        ArgumentNullException.ThrowIfNull(blocklist);
        _live = live;
        _vocabularies = live.Limits.ModelVariants.ToDictionary(v => v.Name, v => new PromptVocabulary(v.Vocabulary), StringComparer.Ordinal);

        // A playlist in configuration is the operator's choice for their display (validated at startup against the
        // blocklist); otherwise the default variant's examples, less any the blocklist would refuse.
        var configured = kiosk.Value.Playlist;
        KioskPlaylist = configured.Length > 0
            ? configured
            : [.. (VariantOf(null)?.ExamplePrompts ?? []).Where(p => !blocklist.IsBlocked(p))];
    }

    /// <summary>What a kiosk cycles through when nobody types, in order; empty when neither configuration nor model names any.</summary>
    public IReadOnlyList<string> KioskPlaylist { get; }

    /// <summary>The studio's suggestions for a session drawing with <paramref name="variant"/> (null: the default).</summary>
    /// <param name="variant">The session's model variant.</param>
    public IReadOnlyList<string> ForStudio(string? variant) => [.. (VariantOf(variant)?.ExamplePrompts ?? []).Take(StudioCount)];

    /// <summary>The words <paramref name="variant"/> (null: the default) knows, built once per variant.</summary>
    /// <param name="variant">The session's model variant.</param>
    public PromptVocabulary VocabularyOf(string? variant) =>
        VariantOf(variant) is { } chosen ? _vocabularies[chosen.Name] : new PromptVocabulary([]);

    // The named variant, else the default one (first in the list when the default's name is not there either).
    private LiveModelVariant? VariantOf(string? variant)
    {
        var variants = _live.Limits.ModelVariants;
        return _live.Limits.VariantNamed(variant ?? _live.Limits.ModelVariant) ?? (variants.Count > 0 ? variants[0] : null);
    }
}
