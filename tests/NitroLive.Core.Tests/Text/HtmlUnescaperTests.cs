using NitroLive.Core.Text;

namespace NitroLive.Core.Tests.Text;

/// <summary>The two HTML decoders of the CLIP text cleaner, on the cases where they and WebUtility differ.</summary>
public sealed class HtmlUnescaperTests
{
    [Theory]
    [InlineData("no references", "no references")]
    [InlineData("fish &amp; chips", "fish & chips")]
    [InlineData("&amp;amp;", "&amp;")]
    [InlineData("&ampx", "&x")]
    [InlineData("&notit;", "¬it;")]
    [InlineData("&hellip", "&hellip")]
    [InlineData("&hellip;", "…")]
    [InlineData("&#x1F431;", "🐱")]
    [InlineData("&#65&#X42;", "AB")]
    [InlineData("&#128;", "€")]
    [InlineData("&#0;", "\uFFFD")]
    [InlineData("&#13;", "\r")]
    [InlineData("&#xD800;", "\uFFFD")]
    [InlineData("&#99999999999;", "\uFFFD")]
    [InlineData("a&#1;b", "ab")]
    [InlineData("&#;&#x;", "&#;&#x;")]
    [InlineData("& &; &&amp;", "& &; &&")]
    [InlineData("&nosuchname;", "&nosuchname;")]
    public void PythonUnescapeMatchesHtmlUnescape(string input, string expected)
    {
        Assert.Equal(expected, HtmlUnescaper.PythonUnescape(input));
    }

    [Theory]
    [InlineData("no references", "no references")]
    [InlineData("fish &amp; chips", "fish & chips")]
    [InlineData("&AMP;", "&")]
    [InlineData("&ampx", "&ampx")]
    [InlineData("&amp", "&amp")]
    [InlineData("&hellip;", "…")]
    [InlineData("&#x41;", "A")]
    [InlineData("&#65;&#66;", "AB")]
    [InlineData("&#x41", "&#x41")]
    [InlineData("&nosuchname;", "&nosuchname;")]
    [InlineData("&abcdefghijklmnopqrstuvwxy;", "&abcdefghijklmnopqrstuvwxy;")]
    [InlineData("&&amp;", "&&")]
    public void FtfyUnescapeTouchesOnlyCompleteReferences(string input, string expected)
    {
        Assert.Equal(expected, HtmlUnescaper.FtfyUnescape(input));
    }
}
