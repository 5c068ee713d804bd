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

    [Theory]
    [InlineData("a blue h", new string[0])]
    [InlineData("a blue hou", new string[0])]
    [InlineData("a red cx", new string[0])]
    [InlineData("a blue house ", new[] { "house" })]
    [InlineData("a blue house,", new[] { "house" })]
    [InlineData("a red cat on a bl", new[] { "cat" })]
    [InlineData("a cat on a cat", new[] { "cat" })]
    [InlineData("", new string[0])]
    public void UnknownFinishedWordsLeaveOutTheWordBeingTyped(string prompt, string[] expected)
    {
        Assert.Equal(expected, Words.UnknownFinishedWords(prompt));
    }

    [Fact]
    public void TypingAPromptKeyByKeyAnnouncesEachUnknownWordOnceItIsFinished()
    {
        const string Typed = "a blue house on a cat ";
        var announced = new List<string?>();
        for (var length = 0; length <= Typed.Length; length++)
        {
            var sentence = PromptVocabulary.Describe(Words.UnknownFinishedWords(Typed[..length]), shown: 5);
            if (announced.Count == 0 || announced[^1] != sentence)
            {
                announced.Add(sentence);
            }
        }

        Assert.Equal(
            [
                null,
                "This model does not know the word “house” and leaves it out.",
                "This model does not know the words “house”, “cat” and leaves them out.",
            ],
            announced);
    }

    [Fact]
    public void TheSentenceNamesOneWordSeveralOrTheFirstFew()
    {
        Assert.Null(PromptVocabulary.Describe([], shown: 2));
        Assert.Equal("This model does not know the word “cat” and leaves it out.", PromptVocabulary.Describe(["cat"], shown: 2));
        Assert.Equal("This model does not know the words “cat”, “dog” and leaves them out.", PromptVocabulary.Describe(["cat", "dog"], shown: 2));
        Assert.Equal("This model does not know the words “cat”, “dog”, … and leaves them out.", PromptVocabulary.Describe(["cat", "dog", "cow"], shown: 2));

        // Right-to-left words are isolated, so the quotes and commas around them stay where they belong.
        Assert.Equal(
            "This model does not know the words “\u2068دائرة\u2069”, “cat”, “\u2068שלום\u2069” and leaves them out.",
            PromptVocabulary.Describe(["دائرة", "cat", "שלום"], shown: 3));
    }

    [Fact]
    public void AModelWithoutAVocabularyKnowsEveryWord()
    {
        var any = new PromptVocabulary([]);

        Assert.True(any.IsEmpty);
        Assert.Empty(any.UnknownWords("a lighthouse at dusk"));
        Assert.Empty(any.UnknownFinishedWords("a lighthouse at dusk "));
    }
}
