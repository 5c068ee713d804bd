using NitroLive.Web.Components.Services;

namespace NitroLive.Web.Tests.Components;

public sealed class SavedHistoryTests
{
    private const string Good = """{"id":-1,"request":{"prompt":"a red circle","steps":1,"seedMode":0,"seed":3,"width":128,"height":128,"modelVariant":"default"}}""";

    [Fact]
    public void EntriesTheBrowserKeptComeBackInOrderWithTheirIds()
    {
        var items = SavedHistory.Parse($"[{Good},{Good.Replace("-1", "-2", StringComparison.Ordinal).Replace("red", "blue", StringComparison.Ordinal)}]", limit: 12, maxPromptLength: 500);

        Assert.Equal([-1L, -2L], items.Select(i => i.Sequence));
        Assert.Equal(["a red circle", "a blue circle"], items.Select(i => i.Request.Prompt));
        Assert.Equal((1, 3L, 128, 128, "default"), (items[0].Request.Steps, items[0].Request.Seed, items[0].Request.Width, items[0].Request.Height, items[0].Request.ModelVariant));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"items\":[]}")]
    [InlineData("[1,2,3]")]
    [InlineData("null")]
    public void WhatIsNotAListOfEntriesReadsAsNoHistory(string? saved) =>
        Assert.Empty(SavedHistory.Parse(saved, limit: 12, maxPromptLength: 500));

    [Theory]
    [InlineData("""{"id":1,"request":{"prompt":"a","steps":1,"seedMode":0,"seed":3,"width":128,"height":128,"modelVariant":"default"}}""")] // a frame's id
    [InlineData("""{"id":-1}""")]
    [InlineData("""{"id":-1,"request":null}""")]
    [InlineData("""{"id":-1,"request":{"steps":1,"seedMode":0,"seed":3,"width":128,"height":128,"modelVariant":"default"}}""")]
    [InlineData("""{"id":-1,"request":{"prompt":"","steps":1,"seedMode":0,"seed":3,"width":128,"height":128,"modelVariant":"default"}}""")]
    [InlineData("""{"id":-1,"request":{"prompt":"a","steps":0,"seedMode":0,"seed":3,"width":128,"height":128,"modelVariant":"default"}}""")]
    [InlineData("""{"id":-1,"request":{"prompt":"a","steps":1,"seedMode":7,"seed":3,"width":128,"height":128,"modelVariant":"default"}}""")]
    [InlineData("""{"id":-1,"request":{"prompt":"a","steps":1,"seedMode":0,"seed":3,"width":-5,"height":128,"modelVariant":"default"}}""")]
    [InlineData("""{"id":-1,"request":{"prompt":"a","steps":1,"seedMode":0,"seed":3,"width":128,"height":128}}""")]
    [InlineData("""{"id":-1,"request":{"prompt":"a red circle!","steps":1,"seedMode":0,"seed":3,"width":128,"height":128,"modelVariant":"default"}}""")] // 13 > 12
    [InlineData("""{"id":-1,"request":{"prompt":"a","steps":1,"seedMode":0,"seed":3,"width":128,"height":128,"modelVariant":"default"}}""")] // -1 twice
    public void AnEntryThatMakesNoSenseIsLeftOutAndTheRestKept(string bad)
    {
        var items = SavedHistory.Parse($"[{Good},{bad}]", limit: 12, maxPromptLength: 12);

        var kept = Assert.Single(items);
        Assert.Equal("a red circle", kept.Request.Prompt);
        Assert.Equal(-1, kept.Sequence);
    }

    // A wrongly typed field makes the whole text unreadable to the deserializer: nothing comes back, which is safe too.
    [Fact]
    public void AFieldOfTheWrongTypeReadsAsNoHistory() =>
        Assert.Empty(SavedHistory.Parse(
            "[" + Good + ""","{"id":-2,"request":{"prompt":"a","steps":"one","seedMode":0,"seed":3,"width":128,"height":128,"modelVariant":"default"}}]""",
            limit: 12, maxPromptLength: 500));

    [Fact]
    public void NoMoreThanTheStripsLengthAndNoIdTwice()
    {
        var entries = Enumerable.Range(1, 20).Select(i => Good.Replace("-1", $"-{i}", StringComparison.Ordinal));
        Assert.Equal(5, SavedHistory.Parse($"[{string.Join(',', entries)}]", limit: 5, maxPromptLength: 500).Count);
        Assert.Single(SavedHistory.Parse($"[{Good},{Good}]", limit: 5, maxPromptLength: 500));
    }
}
