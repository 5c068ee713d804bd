using System.Text.Json;

namespace NitroLive.Core.Tests.Text;

/// <summary>Every sample in shared/clip/sample_goldens.json, produced by OpenAI's SimpleTokenizer.encode.</summary>
[Collection(SdxlTokenizersGroup.Name)]
public sealed class ClipTokenizerGoldenTests(SdxlTokenizersFixture tokenizers)
{
    public static TheoryData<int> CaseIndexes()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < LoadCases().Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Fact]
    public void GoldenFileHoldsAtLeastTheSixDocumentedSamples()
    {
        // Guards the theories below against running on an empty list.
        Assert.True(LoadCases().Count >= 6, $"sample_goldens.json has {LoadCases().Count} cases.");
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void NormalizedTextMatchesTheReference(int index)
    {
        var golden = LoadCases()[index];
        Assert.Equal(golden.GetProperty("normalized").GetString(), tokenizers.Tokenizer.Normalize(Text(golden)));
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void RawIdsMatchTheReference(int index)
    {
        var golden = LoadCases()[index];
        Assert.Equal(Ints(golden, "ids"), tokenizers.Tokenizer.EncodeRaw(Text(golden)).Select(static i => (long)i));
        Assert.Equal(Ints(golden, "ids"), tokenizers.Tokenizer2.EncodeRaw(Text(golden)).Select(static i => (long)i));
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void TokenizerSequencePadsWithEndOfText(int index)
    {
        var golden = LoadCases()[index];
        Assert.Equal(Ints(golden, "input_ids_tokenizer"), tokenizers.Tokenizer.Encode(Text(golden)));
    }

    [Theory]
    [MemberData(nameof(CaseIndexes))]
    public void Tokenizer2SequencePadsWithExclamationMark(int index)
    {
        var golden = LoadCases()[index];
        Assert.Equal(Ints(golden, "input_ids_tokenizer_2"), tokenizers.Tokenizer2.Encode(Text(golden)));
    }

    [Fact]
    public void SpecialIdsComeFromTheFolders()
    {
        var meta = LoadMeta();
        Assert.Equal(meta.GetProperty("bos_id").GetInt32(), tokenizers.Tokenizer.BosId);
        Assert.Equal(meta.GetProperty("eos_id").GetInt32(), tokenizers.Tokenizer.EosId);
        Assert.Equal(meta.GetProperty("pad_id_tokenizer").GetInt32(), tokenizers.Tokenizer.PadId);
        Assert.Equal(meta.GetProperty("pad_id_tokenizer_2").GetInt32(), tokenizers.Tokenizer2.PadId);
        Assert.Equal(meta.GetProperty("max_length").GetInt32(), tokenizers.Tokenizer.MaxLength);
        Assert.Equal(meta.GetProperty("max_length").GetInt32(), tokenizers.Tokenizer2.MaxLength);
    }

    private static string Text(JsonElement golden) => golden.GetProperty("text").GetString()!;

    private static long[] Ints(JsonElement golden, string name) =>
        golden.GetProperty(name).EnumerateArray().Select(static e => e.GetInt64()).ToArray();

    private static JsonElement LoadRoot()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(ClipTestData.ClipDir, "sample_goldens.json")));
        return document.RootElement.Clone();
    }

    private static List<JsonElement> LoadCases() => LoadRoot().GetProperty("cases").EnumerateArray().ToList();

    private static JsonElement LoadMeta() => LoadRoot().GetProperty("meta");
}
