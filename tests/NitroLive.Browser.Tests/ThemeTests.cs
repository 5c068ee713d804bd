using System.Globalization;
using Microsoft.Playwright;

namespace NitroLive.Browser.Tests;

/// <summary>The page's colours are the chosen theme's from its first paint, not only once its circuit has rendered.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class ThemeTests(BrowserFixture fixture)
{
    // A light-theme user saw the dark palette for a fifth of a second on every load (the circuit's theme provider
    // starts dark and reads the stored theme one browser call later): whether the light theme is the system's or was
    // chosen in the app (in a browser whose system theme is dark), no frame may show the app bar dark.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ALightThemeUserNeverSeesTheDarkPalette(bool chosenInTheApp)
    {
        await using var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            ColorScheme = chosenInTheApp ? ColorScheme.Dark : ColorScheme.Light,
        });
        if (chosenInTheApp)
        {
            await context.AddInitScriptAsync("try { localStorage.setItem('nitro-theme', 'light'); } catch { }");
        }

        await PageProbe.SampleEveryFrameAsync(context, ".mud-appbar", "getComputedStyle(el).backgroundColor");
        var studio = await fixture.OpenStudioAsync(context);
        await Assertions.Expect(studio.Locator("[data-testid=theme-toggle]")).ToHaveAttributeAsync("aria-label", "Switch to the dark theme");
        await Assertions.Expect(studio.Locator("[data-testid=theme-toggle]")).ToBeVisibleAsync();

        var samples = await PageProbe.FrameSamplesAsync<string>(studio);
        Assert.NotEmpty(samples);
        var dark = samples.Where(colour => Luminance(colour) < 0.5).Distinct().ToArray();
        Assert.True(dark.Length == 0, $"the app bar was dark in {samples.Count(s => dark.Contains(s))} of {samples.Length} frames: {string.Join(", ", dark)}");

        // And the switch still turns it dark, at once.
        await studio.Locator("[data-testid=theme-toggle]").ClickAsync();
        await Assertions.Expect(studio.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");
        Assert.True(Luminance(await studio.Locator(".mud-appbar").EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor")) < 0.5);
    }

    private static double Luminance(string colour)
    {
        var parts = colour[(colour.IndexOf('(', StringComparison.Ordinal) + 1)..colour.IndexOf(')', StringComparison.Ordinal)]
            .Split(',')
            .Select(p => double.Parse(p.Trim(), CultureInfo.InvariantCulture))
            .ToArray();
        return (0.2126 * parts[0] + 0.7152 * parts[1] + 0.0722 * parts[2]) / 255;
    }
}
