using System.Text.Json;
using NitroLive.Cli.Commands;

namespace NitroLive.Core.Tests.Text;

/// <summary>`nitrolive tokenize`, run in-process.</summary>
[Collection(SdxlTokenizersGroup.Name)]
public sealed class TokenizeCommandTests(SdxlTokenizersFixture tokenizers)
{
    [Fact]
    public void PrintsThe77IdsAsJson()
    {
        var (code, output, error) = Run("--tokenizer", tokenizers.Tokenizer2Folder, "Hello, world!");

        Assert.Equal(0, code);
        Assert.Empty(error);
        long[] ids = JsonSerializer.Deserialize<long[]>(output)!;
        long[] expected = [49406, 3306, 267, 1002, 256, 49407, .. Enumerable.Repeat(0L, 71)];
        Assert.Equal(expected, ids);
    }

    [Fact]
    public void RawPrintsOnlyTheBpeIds()
    {
        var (code, output, _) = Run("--tokenizer", tokenizers.TokenizerFolder, "--raw", "a photo of a cat");

        Assert.Equal(0, code);
        Assert.Equal("[320,1125,539,320,2368]", output.Trim());
    }

    [Fact]
    public void ABadFolderFailsWithAMessageOnStandardError()
    {
        string missing = Path.Combine(Path.GetTempPath(), "nitrolive-no-such-tokenizer");
        var (code, output, error) = Run("--tokenizer", missing, "cat");

        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Contains(missing, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cat")]
    [InlineData("--tokenizer", "", "cat")]
    [InlineData("--tokenizer", " ", "cat")]
    public void MissingArgumentsPrintUsage(params string[] args)
    {
        var (code, _, error) = Run(args);

        Assert.Equal(2, code);
        Assert.Contains("usage", error, StringComparison.Ordinal);
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = TokenizeCommand.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
