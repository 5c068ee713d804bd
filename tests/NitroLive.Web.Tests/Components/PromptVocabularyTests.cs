using NitroLive.Web.Components.Services;

namespace NitroLive.Web.Tests.Components;

public sealed class PromptVocabularyTests
{
    private static readonly PromptVocabulary Words = new(["a", "red", "blue", "circle", "on", "background"]);

    [Theory]
    [InlineData("a red circle on a blue background", new string[0])]
    [InlineData("A RED Circle, on a blue background.", new string[0])]
    [InlineData("a red cat on a blue background", new[] { "cat" })]
    [InlineData("a photo of a red cat, a red cat", new[] { "photo", "of", "cat" })]
    [InlineData("a red ci", new string[0])]
    [InlineData("a red cx", new[] { "cx" })]
    [InlineData("a red ci ", new[] { "ci" })]
    [InlineData("a red ci on", new[] { "ci" })]
    [InlineData("", new string[0])]
    public void UnknownWordsAreTheCompletedOnesAndAWordBeingTypedThatCanNoLongerBecomeKnown(string prompt, string[] expected)
    {
        Assert.Equal(expected, Words.UnknownWords(prompt));
    }

    [Fact]
    public void AModelWithoutAVocabularyKnowsEveryWord()
    {
        var any = new PromptVocabulary([]);

        Assert.True(any.IsEmpty);
        Assert.Empty(any.UnknownWords("a lighthouse at dusk"));
    }
}
