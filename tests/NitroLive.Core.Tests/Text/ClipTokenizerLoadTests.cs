using System.Text;
using System.Text.Json;
using NitroLive.Core.Text;

namespace NitroLive.Core.Tests.Text;

/// <summary>Loading folders other than SDXL's: a small vocabulary with its own special ids, and broken folders.</summary>
public sealed class ClipTokenizerLoadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nitrolive-tok-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void SpecialIdsAndLengthAreReadFromASmallVocabulary()
    {
        WriteSmallTokenizer(modelMaxLength: 8);
        var tokenizer = ClipTokenizer.Load(_dir);

        Assert.Equal(514, tokenizer.BosId);
        Assert.Equal(513, tokenizer.EosId);
        Assert.Equal(0, tokenizer.PadId);
        Assert.Equal(8, tokenizer.MaxLength);

        // "ab" merges to one symbol; "a" and "!" are single bytes at the end of a word.
        Assert.Equal([512, 320, 256], tokenizer.EncodeRaw("AB a!"));
        Assert.Equal([514L, 512, 320, 256, 513, 0, 0, 0], tokenizer.Encode("AB a!"));
        Assert.Equal([514L, 512, 512, 512, 512, 512, 512, 513], tokenizer.Encode("ab ab ab ab ab ab ab ab"));
    }

    [Fact]
    public void MaxLengthDefaultsTo77()
    {
        WriteSmallTokenizer(modelMaxLength: null);
        Assert.Equal(77, ClipTokenizer.Load(_dir).MaxLength);
    }

    [Theory]
    [InlineData("vocab.json")]
    [InlineData("merges.txt")]
    [InlineData("special_tokens_map.json")]
    [InlineData("tokenizer_config.json")]
    public void AMissingFileIsNamed(string file)
    {
        WriteSmallTokenizer(modelMaxLength: 77);
        File.Delete(Path.Combine(_dir, file));

        var ex = Assert.Throws<TokenizerLoadException>(() => ClipTokenizer.Load(_dir));
        Assert.Equal(Path.Combine(_dir, file), ex.FilePath);
        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
        Assert.Contains("not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingFolderIsNamed()
    {
        string missing = Path.Combine(_dir, "nope");
        var ex = Assert.Throws<TokenizerLoadException>(() => ClipTokenizer.Load(missing));
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidJsonIsReported()
    {
        WriteSmallTokenizer(modelMaxLength: 77);
        File.WriteAllText(Path.Combine(_dir, "vocab.json"), "{ \"a\": ");
        var ex = Assert.Throws<TokenizerLoadException>(() => ClipTokenizer.Load(_dir));
        Assert.EndsWith("vocab.json", ex.FilePath, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AVocabularyWithoutTheByteAlphabetIsRejected()
    {
        WriteSmallTokenizer(modelMaxLength: 77);
        File.WriteAllText(Path.Combine(_dir, "vocab.json"), """{ "a": 0, "a</w>": 1, "<|startoftext|>": 2, "<|endoftext|>": 3, "!": 4 }""");
        var ex = Assert.Throws<TokenizerLoadException>(() => ClipTokenizer.Load(_dir));
        Assert.Contains("byte-level", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TwoTokensWithOneIdAreRejected()
    {
        WriteSmallTokenizer(modelMaxLength: 77);
        string vocabPath = Path.Combine(_dir, "vocab.json");
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath))!;
        vocab["ab</w>"] = 513;
        File.WriteAllText(vocabPath, JsonSerializer.Serialize(vocab));
        var ex = Assert.Throws<TokenizerLoadException>(() => ClipTokenizer.Load(_dir));
        Assert.Equal(vocabPath, ex.FilePath);
        Assert.Contains("share the id 513", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMergeOutsideTheVocabularyIsRejected()
    {
        WriteSmallTokenizer(modelMaxLength: 77);
        File.AppendAllText(Path.Combine(_dir, "merges.txt"), "x y</w>\n");
        var ex = Assert.Throws<TokenizerLoadException>(() => ClipTokenizer.Load(_dir));
        Assert.EndsWith("merges.txt", ex.FilePath, StringComparison.Ordinal);
    }

    [Fact]
    public void AMalformedMergeLineIsRejectedWithItsLineNumber()
    {
        WriteSmallTokenizer(modelMaxLength: 77);
        File.AppendAllText(Path.Combine(_dir, "merges.txt"), "abc\n");
        var ex = Assert.Throws<TokenizerLoadException>(() => ClipTokenizer.Load(_dir));
        Assert.Contains("line 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APadTokenOutsideTheVocabularyIsRejected()
    {
        WriteSmallTokenizer(modelMaxLength: 77);
        File.WriteAllText(Path.Combine(_dir, "special_tokens_map.json"), """{ "pad_token": "<pad>" }""");
        var ex = Assert.Throws<TokenizerLoadException>(() => ClipTokenizer.Load(_dir));
        Assert.Contains("pad_token '<pad>'", ex.Message, StringComparison.Ordinal);
    }

    // The CLIP byte alphabet (ids 0..255, then with "</w>" 256..511), one merge "a b</w>" -> 512, then the special
    // tokens in the opposite order to CLIP's so that hard-coded ids would show.
    private void WriteSmallTokenizer(int? modelMaxLength)
    {
        // bytes_to_unicode order: the printable Latin-1 bytes as themselves, then the others from U+0100 up.
        static bool Printable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
        var alphabet = Enumerable.Range(0, 256).Where(Printable).Select(b => ((char)b).ToString()).ToList();
        alphabet.AddRange(Enumerable.Range(0, 256 - alphabet.Count).Select(n => ((char)(256 + n)).ToString()));

        var vocab = new Dictionary<string, int>();
        for (int i = 0; i < 256; i++)
        {
            vocab[alphabet[i]] = i;
            vocab[alphabet[i] + "</w>"] = 256 + i;
        }

        vocab["ab</w>"] = 512;
        vocab["<|endoftext|>"] = 513;
        vocab["<|startoftext|>"] = 514;

        File.WriteAllText(Path.Combine(_dir, "vocab.json"), JsonSerializer.Serialize(vocab), Encoding.UTF8);
        File.WriteAllText(Path.Combine(_dir, "merges.txt"), "#version: 0.2\na b</w>\n");
        File.WriteAllText(Path.Combine(_dir, "special_tokens_map.json"), """
            { "bos_token": { "content": "<|startoftext|>", "__type": "AddedToken" }, "eos_token": "<|endoftext|>" }
            """);
        string maxLength = modelMaxLength is { } m ? $"\"model_max_length\": {m}," : "";
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), $$"""
            { {{maxLength}} "pad_token": { "content": "!", "__type": "AddedToken" }, "tokenizer_class": "CLIPTokenizer" }
            """);
    }
}
