using Microsoft.Extensions.Options;
using NitroLive.Web.Live;

namespace NitroLive.Web.Components.Services;

/// <summary>
/// The prompts the studio suggests and a kiosk cycles through in attract mode. They come from the model folder
/// (nitrolive.json's <c>example_prompts</c>) because only the model knows what it draws well: the embedded demo model
/// draws coloured shapes, and a suggestion it cannot draw shows a picture that does not match its words.
/// </summary>
internal sealed class PromptSuggestions
{
    /// <summary>How many suggestions the studio shows at once.</summary>
    public const int StudioCount = 4;

    private readonly ILiveService _live;

    public PromptSuggestions(ILiveService live, IOptions<KioskOptions> kiosk, PromptBlocklist blocklist)
    {
        ArgumentNullException.ThrowIfNull(kiosk);
        ArgumentNullException.ThrowIfNull(blocklist);
        _live = live;

        // A playlist in configuration is the operator's choice for their display (validated at startup against the
        // blocklist); otherwise the default variant's examples, less any the blocklist would refuse.
        var configured = kiosk.Value.Playlist;
        KioskPlaylist = configured.Length > 0
            ? configured
            : [.. ExamplesOf(null).Where(p => !blocklist.IsBlocked(p))];
    }

    /// <summary>What a kiosk cycles through when nobody types, in order; empty when neither configuration nor model names any.</summary>
    public IReadOnlyList<string> KioskPlaylist { get; }

    /// <summary>The studio's suggestions for a session drawing with <paramref name="variant"/> (null: the default).</summary>
    /// <param name="variant">The session's model variant.</param>
    public IReadOnlyList<string> ForStudio(string? variant) => [.. ExamplesOf(variant).Take(StudioCount)];

    private IReadOnlyList<string> ExamplesOf(string? variant)
    {
        var variants = _live.Limits.ModelVariants;
        var chosen = variants.FirstOrDefault(v => string.Equals(v.Name, variant ?? _live.Limits.ModelVariant, StringComparison.Ordinal))
            ?? (variants.Count > 0 ? variants[0] : null);
        return chosen?.ExamplePrompts ?? [];
    }
}
