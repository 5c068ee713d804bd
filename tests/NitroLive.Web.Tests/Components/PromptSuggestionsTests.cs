using Microsoft.Extensions.Options;
using NitroLive.Web.Components.Services;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Components;

public sealed class PromptSuggestionsTests
{
    private static readonly PromptBlocklist Blocklist = new(["forbidden"]);

    private static FakeLiveService TwoVariants() => new()
    {
        Limits = new FakeLiveService().Limits with
        {
            ModelVariant = "realism",
            ModelVariants =
            [
                new LiveModelVariant("realism", "Realism") { ExamplePrompts = ["r1", "a forbidden r2", "r3", "r4", "r5"] },
                new LiveModelVariant("vibrant", "Vibrant") { ExamplePrompts = ["v1"], Vocabulary = ["red", "cat"] },
            ],
        },
    };

    [Fact]
    public void TheStudioGetsTheFirstFourOfTheSessionsVariantAndTheDefaultsForAnUnknownOne()
    {
        var suggestions = new PromptSuggestions(TwoVariants(), Options.Create(new KioskOptions()), Blocklist);

        Assert.Equal(["r1", "a forbidden r2", "r3", "r4"], suggestions.ForStudio(null));
        Assert.Equal(["v1"], suggestions.ForStudio("vibrant"));
        Assert.Equal(["r1", "a forbidden r2", "r3", "r4"], suggestions.ForStudio("sketch"));
    }

    [Fact]
    public void EachVariantHasItsOwnVocabulary()
    {
        var suggestions = new PromptSuggestions(TwoVariants(), Options.Create(new KioskOptions()), Blocklist);

        Assert.True(suggestions.VocabularyOf(null).IsEmpty);
        Assert.Equal(["dog"], suggestions.VocabularyOf("vibrant").UnknownWords("red cat dog"));
    }

    [Fact]
    public void TheKioskCyclesTheDefaultVariantsExamplesThatTheBlocklistAllowsUnlessItHasAPlaylist()
    {
        var fromModel = new PromptSuggestions(TwoVariants(), Options.Create(new KioskOptions()), Blocklist);
        var configured = new PromptSuggestions(TwoVariants(), Options.Create(new KioskOptions { Playlist = ["p1", "p2"] }), Blocklist);

        Assert.Equal(["r1", "r3", "r4", "r5"], fromModel.KioskPlaylist);
        Assert.Equal(["p1", "p2"], configured.KioskPlaylist);
    }
}
