using Microsoft.Extensions.Logging.Abstractions;
using NitroLive.Web.Components.Layout;
using NitroLive.Web.Tests.Reliability;

namespace NitroLive.Web.Tests.Components;

/// <summary>Both palettes in the document's head, keyed to <c>data-theme</c>, so that the first paint has the right colours.</summary>
public sealed class ThemeStylesTests
{
    [Fact]
    public async Task BothPalettesAreMudBlazorsOwnKeyedToTheDocumentsTheme()
    {
        var css = await ThemeStyles.BuildAsync(NullLoggerFactory.Instance);

        Assert.DoesNotContain(":root", css, StringComparison.Ordinal);
        var dark = Block(css, "html[data-theme=dark]");
        var light = Block(css, "html[data-theme=light]");
        // NitroTheme's primary colour in each palette, as MudBlazor writes it.
        Assert.Contains("--mud-palette-primary: rgba(91,43,214,1);", light, StringComparison.Ordinal);
        Assert.DoesNotContain("--mud-palette-primary: rgba(91,43,214,1);", dark, StringComparison.Ordinal);
        Assert.Contains("--mud-palette-appbar-background: rgba(255,255,255,1);", light, StringComparison.Ordinal);
    }

    // The studio's document carries them; the kiosk's does not, since it is dark whatever the studio's theme.
    [Theory]
    [InlineData("/", true)]
    [InlineData("/kiosk", false)]
    public async Task TheStudiosDocumentCarriesThemAndTheKiosksNot(string path, bool expected)
    {
        await using var host = ReliabilityHost.Start();
        using var http = host.NewHttpClient();
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);

        var html = await http.GetStringAsync(new Uri(path, UriKind.Relative), cts.Token);

        Assert.Equal(expected, html.Contains("html[data-theme=light]{", StringComparison.Ordinal));
        Assert.Equal(expected, html.Contains("html[data-theme=dark]{", StringComparison.Ordinal));
    }

    private static string Block(string css, string selector)
    {
        var start = css.IndexOf(selector + "{", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {selector} rules");
        return css[start..css.IndexOf('}', start)];
    }
}
