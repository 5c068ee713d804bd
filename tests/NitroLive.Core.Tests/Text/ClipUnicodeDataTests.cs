using NitroLive.Core.Text;

namespace NitroLive.Core.Tests.Text;

/// <summary>Lookups in the embedded Unicode tables, at range edges and past the BMP.</summary>
public sealed class ClipUnicodeDataTests
{
    [Theory]
    [InlineData('a', "Letter")]
    [InlineData('7', "Number")]
    [InlineData('!', "Other")]
    [InlineData(' ', "Space")]
    [InlineData(0x1D400, "Letter")] // MATHEMATICAL BOLD CAPITAL A
    [InlineData(0x1D7CE, "Number")] // MATHEMATICAL BOLD DIGIT ZERO
    [InlineData(0x1F431, "Other")] // CAT FACE
    [InlineData(0x10FFFF, "Other")] // private use: the catch-all alternative
    [InlineData(0x0345, "Skip")] // COMBINING GREEK YPOGEGRAMMENI under IGNORECASE
    public void ClassifiesCodePoints(int codePoint, string expected)
    {
        Assert.Equal(expected, ClipUnicodeData.Classify(codePoint).ToString());
    }

    [Theory]
    [InlineData(' ', true)]
    [InlineData('\u3000', true)]
    [InlineData('\u001C', true)]
    [InlineData('\u200B', false)]
    [InlineData('x', false)]
    public void KnowsPythonsSpaces(int codePoint, bool expected)
    {
        Assert.Equal(expected, ClipUnicodeData.IsPythonSpace(codePoint));
    }

    [Theory]
    [InlineData('A', true, false)]
    [InlineData('z', true, false)]
    [InlineData('1', false, false)]
    [InlineData('\'', false, true)]
    [InlineData(0x0301, false, true)] // COMBINING ACUTE ACCENT
    [InlineData(0x10400, true, false)] // DESERET CAPITAL LONG I
    public void KnowsCasedAndCaseIgnorable(int codePoint, bool cased, bool ignorable)
    {
        Assert.Equal(cased, ClipUnicodeData.IsCased(codePoint));
        Assert.Equal(ignorable, ClipUnicodeData.IsCaseIgnorable(codePoint));
    }

    [Theory]
    [InlineData('a', 0)]
    [InlineData(0x0300, 230)] // COMBINING GRAVE ACCENT
    [InlineData(0x0316, 220)] // COMBINING GRAVE ACCENT BELOW
    [InlineData(0x0334, 1)] // COMBINING TILDE OVERLAY
    [InlineData(0x05B0, 10)] // HEBREW POINT SHEVA
    [InlineData(0x1D165, 216)] // MUSICAL SYMBOL COMBINING STEM
    [InlineData(0x10FFFF, 0)]
    public void KnowsCanonicalCombiningClasses(int codePoint, int expected)
    {
        Assert.Equal(expected, ClipUnicodeData.CombiningClass(codePoint));
    }
}
