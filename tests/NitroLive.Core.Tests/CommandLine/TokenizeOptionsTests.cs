using NitroLive.Cli.Commands;
using NitroLive.Core.Tests.Text;
using NitroLive.Core.Text;

namespace NitroLive.Core.Tests.CommandLine;

/// <summary>How `nitrolive tokenize` reads its TEXT: loose words join with spaces; after "--" even "--words" are text.</summary>
[Collection(SdxlTokenizersGroup.Name)]
public sealed class TokenizeOptionsTests(SdxlTokenizersFixture tokenizers)
{
    [Fact]
    public void LooseWordsAreOnePromptJoinedWithSpaces()
    {
        var expected = Ids(ClipTokenizer.Load(tokenizers.TokenizerFolder).EncodeRaw("a photo of a cat").Select(static id => (long)id));

        Assert.Equal((0, expected), Run("a", "--tokenizer", tokenizers.TokenizerFolder, "photo of", "--raw", "a", "cat"));
    }

    [Fact]
    public void TextAfterADoubleDashMayStartWithDashes()
    {
        var expected = Ids(ClipTokenizer.Load(tokenizers.TokenizerFolder).Encode("--raw cat"));

        Assert.Equal((0, expected), Run("--tokenizer", tokenizers.TokenizerFolder, "--", "--raw", "cat"));
    }

    [Theory]
    [InlineData("--tokenizer")]
    [InlineData("--bogus")]
    public void AnUnknownOrIncompleteOptionIsAUsageError(string option)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(2, TokenizeCommand.Run(["cat", option], output, error));
        Assert.Contains(option, error.ToString(), StringComparison.Ordinal);
        Assert.Contains("usage: tokenize", error.ToString(), StringComparison.Ordinal);
    }

    private static string Ids(IEnumerable<long> ids) => "[" + string.Join(",", ids) + "]";

    private static (int Code, string Output) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = TokenizeCommand.Run(args, output, error);
        return (code, output.ToString().Trim());
    }
}
