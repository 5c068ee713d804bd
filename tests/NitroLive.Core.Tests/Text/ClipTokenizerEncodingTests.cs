using static NitroLive.Core.Tests.Text.ClipTestData;

namespace NitroLive.Core.Tests.Text;

/// <summary>
/// Hard cases whose ids follow from the shared vocab.json and merges.txt: each expectation is spelled as vocabulary
/// entries (byte-level strings, "&lt;/w&gt;" marks a word's end) and looked up in the shared vocab.json.
/// </summary>
[Collection(SdxlTokenizersGroup.Name)]
public sealed class ClipTokenizerEncodingTests(SdxlTokenizersFixture tokenizers)
{
    private IReadOnlyList<int> Raw(string text) => tokenizers.Tokenizer.EncodeRaw(text);

    [Fact]
    public void AWordThatIsOneVocabularyEntryIsOneId()
    {
        Assert.Equal(Ids("photograph</w>"), Raw("photograph"));
        Assert.Equal(Ids("astronaut</w>"), Raw("ASTRONAUT"));
    }

    [Fact]
    public void CurlyQuotesEncodeLikeStraightQuotes()
    {
        var expected = Ids("it</w>", "'s</w>", "a</w>", "\"</w>", "cat</w>", "\"</w>");
        Assert.Equal(expected, Raw("it’s a “cat”"));
        Assert.Equal(expected, Raw("it's a \"cat\""));
        Assert.Equal(expected, Raw("it‘s a ‟cat”"));
    }

    [Fact]
    public void FullWidthLettersEncodeLikeAscii()
    {
        Assert.Equal("hello, world!", tokenizers.Tokenizer.Normalize("ＨＥＬＬＯ，　ＷＯＲＬＤ！"));
        Assert.Equal(Ids("hello</w>", ",</w>", "world</w>", "!</w>"), Raw("ＨＥＬＬＯ，　ＷＯＲＬＤ！"));
    }

    [Fact]
    public void LatinLigaturesAreTakenApart()
    {
        Assert.Equal(Ids("fine</w>"), Raw("ﬁne"));
    }

    [Fact]
    public void HtmlIsUnescapedTwice()
    {
        Assert.Equal(Ids("fish</w>", "&</w>", "chips</w>"), Raw("fish &amp;amp; chips"));
        Assert.Equal(Ids("a</w>", "<</w>", "b</w>", "></w>", "c</w>"), Raw("a &lt;b&gt; c"));
        Assert.Equal("…", tokenizers.Tokenizer.Normalize("&hellip;"));
        Assert.Equal(Ids("âĢ¦</w>"), Raw("&hellip;"));
    }

    [Fact]
    public void HtmlFollowsPythonRulesBeyondWebUtility()
    {
        // Legacy names decode without ';', and the longest known prefix of an unknown name is decoded.
        Assert.Equal("©", tokenizers.Tokenizer.Normalize("&copy"));
        Assert.Equal("&x", tokenizers.Tokenizer.Normalize("&ampx"));
        Assert.Equal("🐱", tokenizers.Tokenizer.Normalize("&#x1F431;"));
        Assert.Equal("a b", tokenizers.Tokenizer.Normalize("a&nbsp;b"));
        // Windows-1252 meaning for references to C1 code points, U+FFFD for out-of-range ones.
        Assert.Equal("€", tokenizers.Tokenizer.Normalize("&#128;"));
        Assert.Equal("\uFFFD", tokenizers.Tokenizer.Normalize("&#99999999999;"));
    }

    [Fact]
    public void FtfyKeepsUnescapingUntilNothingChangesUnlessTheLineHoldsATag()
    {
        // ftfy's own unescape runs to a fixed point before the two html.unescape passes...
        Assert.Equal("&", tokenizers.Tokenizer.Normalize("&amp;amp;amp;amp;"));
        // ...but ftfy leaves entities alone in text that contains '<'.
        Assert.Equal("<b> &amp;", tokenizers.Tokenizer.Normalize("<b> &amp;amp;amp;"));
    }

    [Fact]
    public void WhitespaceRunsCollapseToOneSpace()
    {
        Assert.Equal("a cat", tokenizers.Tokenizer.Normalize("  a \t\n\u00A0\u2003 cat \r\n "));
        Assert.Equal(Ids("a</w>", "cat</w>"), Raw("  a \t\n\u00A0\u2003 cat \r\n "));
    }

    [Fact]
    public void ControlCharactersAndTerminalEscapesAreRemoved()
    {
        Assert.Equal("red cat", tokenizers.Tokenizer.Normalize("\u001B[31mred\u001B[0m c\u0007at\uFEFF"));
        // C1 controls read as Windows-1252: 0x91/0x92 are curly quotes, which are then uncurled.
        Assert.Equal("'hi'", tokenizers.Tokenizer.Normalize("\u0091hi\u0092"));
    }

    [Fact]
    public void LongPromptsKeepTheFirst75IdsThenEndOfText()
    {
        string prompt = string.Join(' ', Enumerable.Repeat("cat", 100));
        int cat = Id("cat</w>");
        Assert.Equal(Enumerable.Repeat(cat, 100), Raw(prompt));

        long[] ids = tokenizers.Tokenizer.Encode(prompt);
        Assert.Equal(77, ids.Length);
        Assert.Equal(49406, ids[0]);
        Assert.All(ids[1..76], id => Assert.Equal(cat, id));
        Assert.Equal(49407, ids[76]);
    }

    [Fact]
    public void AWordAcrossTheLimitKeepsItsFirstIds()
    {
        // ids[:75] cuts inside a word: the word's first BPE id stays, the rest is dropped.
        const string LongWord = "pneumonoultramicroscopicsilicovolcanoconiosis";
        string prompt = string.Join(' ', Enumerable.Repeat("cat", 74)) + " " + LongWord;
        var raw = Raw(prompt);
        Assert.True(raw.Count > 76, "the long word must take several ids");

        long[] expected = [49406, .. raw.Take(75).Select(static id => (long)id), 49407];
        Assert.Equal(expected, tokenizers.Tokenizer.Encode(prompt));
        Assert.Equal(Raw(LongWord)[0], expected[75]);
    }

    [Fact]
    public void SeventyFourWordsLeaveRoomForOnePad()
    {
        string prompt = string.Join(' ', Enumerable.Repeat("cat", 74));
        long[] ids = tokenizers.Tokenizer2.Encode(prompt);
        Assert.Equal(49407, ids[75]);
        Assert.Equal(0, ids[76]);
    }

    [Fact]
    public void EncodeIntoASpanWritesExactlyMaxLength()
    {
        Span<long> buffer = new long[77];
        tokenizers.Tokenizer2.Encode("a photo of a cat", buffer);
        Assert.Equal(tokenizers.Tokenizer2.Encode("a photo of a cat"), buffer.ToArray());
        Assert.Throws<ArgumentException>(() => tokenizers.Tokenizer.Encode("cat", new long[76]));
    }

    [Fact]
    public void EmojiAreEncodedFromTheirUtf8Bytes()
    {
        // U+1F431 is F0 9F 90 B1, byte-level "ðŁĲ±".
        Assert.Equal(Ids("a</w>", "ðŁĲ±</w>", "cat</w>"), Raw("a 🐱 cat"));
    }

    [Fact]
    public void CjkIsOneLetterRunSplitByBpe()
    {
        // 日 = E6 97 A5 ("æĹ¥"), 本 = E6 9C AC ("æľ¬").
        Assert.Equal(Ids("æĹ¥", "æľ", "¬</w>"), Raw("日本"));
    }

    [Fact]
    public void DecomposedAccentsEncodeLikePrecomposed()
    {
        Assert.Equal(Ids("cafÃ©</w>"), Raw("café"));
        Assert.Equal(Ids("cafÃ©</w>"), Raw("cafe\u0301"));
        Assert.Equal("café", tokenizers.Tokenizer.Normalize("CAFE\u0301"));
    }

    [Fact]
    public void AstralLettersJoinTheSurroundingLetterRun()
    {
        // U+1D400 MATHEMATICAL BOLD CAPITAL A is \p{L}: "a𝐀b" is one pre-token, so only 'b' ends a word.
        // Split as a punctuation run it would give "a</w>" first.
        Assert.Equal(Ids("a", "ðĿĲ", "Ģ", "b</w>"), Raw("a𝐀b"));
    }

    [Fact]
    public void LowerCasingFollowsPython()
    {
        // Full mapping: U+0130 becomes i + U+0307.
        Assert.Equal("i\u0307stanbul", tokenizers.Tokenizer.Normalize("İSTANBUL"));
        // Final sigma.
        Assert.Equal("οδος σας", tokenizers.Tokenizer.Normalize("ΟΔΟΣ ΣΑΣ"));
    }

    [Fact]
    public void ContractionsSplitOffAfterLowerCasing()
    {
        Assert.Equal(Ids("don</w>", "'t</w>"), Raw("DON'T"));
        Assert.Equal(Ids("we</w>", "'re</w>", "i</w>", "'ll</w>"), Raw("we're i'll"));
        // IGNORECASE makes U+017F LONG S match the 's of "'s": "'ſ" is one pre-token.
        Assert.Equal(Ids("it</w>", "'", "Å", "¿</w>"), Raw("it'ſ"));
    }

    [Fact]
    public void SpecialTokenTextMapsToItsId()
    {
        Assert.Equal([49407], Raw("<|endoftext|>"));
        Assert.Equal([49406], Raw("<|STARTOFTEXT|>"));
    }

    [Fact]
    public void NumbersAreOneDigitPerToken()
    {
        Assert.Equal(Ids("x</w>", "1</w>", "2</w>"), Raw("x12"));
        // Superscript two is \p{N} (No), one code point, two UTF-8 bytes.
        Assert.Equal(Ids("x</w>", "Â²</w>"), Raw("x²"));
    }

    [Fact]
    public void ConcurrentEncodesAgreeWithSequentialOnes()
    {
        // Words unlikely to be in the word cache yet, so threads race to fill it.
        string[] prompts = Enumerable.Range(0, 64)
            .Select(static i => $"zq{i}xv wordling{i % 7}ish quux{i}blorp 🐱{i} ΣΟΦΙΑ{i % 3}")
            .ToArray();
        var parallel = new long[prompts.Length][];
        Parallel.For(0, prompts.Length, i => parallel[i] = tokenizers.Tokenizer2.Encode(prompts[i]));

        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(tokenizers.Tokenizer2.Encode(prompts[i]), parallel[i]);
        }
    }
}
