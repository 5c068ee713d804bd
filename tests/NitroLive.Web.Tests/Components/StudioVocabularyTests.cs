using Bunit;
using MudBlazor;
using NitroLive.Web.Components.Pages;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Components;

public sealed class StudioVocabularyTests : UiTestContext
{
    [Fact]
    public void ScreenReadersHearAnUnknownWordOnceItIsFinishedNotAtEachKeystroke()
    {
        Live.Limits = Live.Limits with
        {
            ModelVariants = [new LiveModelVariant("tiny", "nitro-tiny") { Vocabulary = ["a", "red", "circle", "on", "blue", "background"] }],
        };
        Render<MudPopoverProvider>();
        var page = Render<Studio>();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var owner = Live.OnlySession().MembersNow.Single();
        string Help() => page.Find("[data-testid=prompt-box] .mud-input-helper-text").TextContent.Trim();
        string Announced() => page.Find("[data-testid=vocabulary-hint]").TextContent.Trim();

        // The help under the field flags a word that can no longer become a known one; the live region stays quiet.
        foreach (var typed in new[] { "a blue h", "a blue ho", "a blue hou", "a blue house" })
        {
            owner.SetPrompt(typed);
            page.WaitForAssertion(() => Assert.Contains($"“{typed[7..]}”", Help(), StringComparison.Ordinal));
            Assert.Equal(string.Empty, Announced());
        }

        owner.SetPrompt("a blue house ");
        page.WaitForAssertion(() => Assert.Equal("This model does not know the word “house” and leaves it out.", Announced()));
        Assert.Equal(Help(), Announced());

        // The next word being typed leaves what was said as it is: nothing new to read out.
        owner.SetPrompt("a blue house on a d");
        page.WaitForAssertion(() => Assert.Contains("“d”", Help(), StringComparison.Ordinal));
        Assert.Equal("This model does not know the word “house” and leaves it out.", Announced());
    }
}
