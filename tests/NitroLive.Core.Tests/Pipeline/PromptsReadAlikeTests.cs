using NitroLive.Core.Pipeline;
using NitroLive.Testing;

namespace NitroLive.Core.Tests.Pipeline;

/// <summary>
/// What the live service relies on to answer a request with the picture on screen: prompts the tokenizers read alike
/// really do draw the same pixels, and prompts that differ by one token do not read alike.
/// </summary>
public sealed class PromptsReadAlikeTests(EmbeddedPipelineFixture fixture) : IClassFixture<EmbeddedPipelineFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    // 80 words, each one CLIP token: more than the 75 a prompt keeps.
    private static readonly string LongPrompt = string.Join(' ', Enumerable.Repeat("red blue green yellow", 20));

    private IImageGenerator Pipeline => fixture.Pipeline;

    public static TheoryData<string, string> Alike => new()
    {
        { "a red circle on a blue background", "a red circle on a blue background " },
        { "a red circle on a blue background", "  A Red  circle on a BLUE background" },
        { "a red circle & a blue square", "a red circle &amp; a blue square" },
        { LongPrompt, LongPrompt + " and a purple triangle" },
    };

    public static TheoryData<string, string> Different => new()
    {
        { "a red circle", "a red circles" },
        { "a red circle", "a red circle." },
        { "a red circle", "a blue circle" },
        { "a red circle", "a redcircle" },
    };

    [Theory]
    [MemberData(nameof(Alike))]
    public async Task PromptsThatReadAlikeDrawTheSamePixels(string first, string second)
    {
        Assert.True(Pipeline.PromptsReadAlike(first, second));
        Assert.True(Pipeline.PromptsReadAlike(second, first));

        var size = Pipeline.Model.NativeWidth;
        var a = await Pipeline.GenerateAsync([new GenerationRequest(first, 1, 5, size, size)], CancellationToken.None).WaitAsync(Timeout);
        var b = await Pipeline.GenerateAsync([new GenerationRequest(second, 1, 5, size, size)], CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(a[0].Rgb, b[0].Rgb);
    }

    [Theory]
    [MemberData(nameof(Different))]
    public void PromptsThatDifferInATokenDoNotReadAlike(string first, string second)
    {
        Assert.False(Pipeline.PromptsReadAlike(first, second));
        Assert.False(Pipeline.PromptsReadAlike(second, first));
    }

    [Theory]
    [InlineData("\uD800 lone high surrogate", "\uD800 lone high surrogate ")]
    [InlineData("lone low \uDC00", "lone low \uDC00\uDC00")]
    [InlineData("\0\u0001\u001F\u007F controls", "controls")]
    [InlineData("\u200B\uFEFF\u2028 zero width", "zero width")]
    [InlineData("😀😀😀 emoji 🎨", "😀😀😀 emoji 🎨 ")]
    [InlineData("&amp;amp;&lt;script&gt;", "<script>")]
    [InlineData("", " ")]
    public void OddTextIsAnsweredWithoutAThrow(string first, string second)
    {
        // The live service asks this on every keystroke, with whatever a client sent.
        var alike = Pipeline.PromptsReadAlike(first, second);
        Assert.Equal(alike, Pipeline.PromptsReadAlike(second, first));
        Assert.True(Pipeline.PromptsReadAlike(first, first));
    }

    [Fact]
    public void TheKeyIsBothTokenizersIdsUpToTheirEndToken()
    {
        var key = Pipeline.PromptKey("A red circle ");
        var parts = key.Split('|');

        Assert.Equal(2, parts.Length);
        // Start token, the three words, end token: no padding.
        Assert.All(parts, p => Assert.Equal(5, p.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length));
        Assert.Equal(key, Pipeline.PromptKey("a red circle"));
        Assert.NotEqual(key, Pipeline.PromptKey("a red circles"));
    }

    [Fact]
    public void APoolAndAVariantGeneratorAskTheirModelsTokenizers()
    {
        using var pool = Assert.IsType<GeneratorPool>(GeneratorPool.Open(fixture.Options(), instances: 2));
        IImageGenerator pooled = pool;
        Assert.True(pooled.PromptsReadAlike("a red circle", "A red circle "));
        Assert.False(pooled.PromptsReadAlike("a red circle", "a red circles"));
        Assert.Equal(Pipeline.PromptKey("a red circle"), pool.PromptKey("A red circle "));

        using var folder = TwoVariantModelFolder.Create(fixture.ModelDirectory);
        using var variants = VariantGenerator.Open(fixture.Options() with { ModelDirectory = folder.Directory });
        IImageGenerator either = variants;
        Assert.True(either.PromptsReadAlike("a red circle", "a red circle ", "vibrant"));
        Assert.True(either.PromptsReadAlike("a red circle", "a red circle "));
        Assert.False(either.PromptsReadAlike("a red circle", "a red circle ", "no-such-variant"));
    }
}
