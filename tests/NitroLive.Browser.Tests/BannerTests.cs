using Microsoft.Playwright;

namespace NitroLive.Browser.Tests;

/// <summary>The model notice can be hidden, and stays hidden in this browser without showing for a moment on each load.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class BannerTests(BrowserFixture fixture)
{
    [Fact]
    public async Task TheDemoNoticeOnceHiddenStaysHiddenFromTheFirstPaint()
    {
        await using var context = await fixture.NewContextAsync(width: 390, height: 844, mobile: true);
        var studio = await fixture.OpenStudioAsync(context);
        var banner = studio.Locator("[data-testid=model-banner]");
        await Assertions.Expect(banner).ToBeVisibleAsync();
        Assert.Equal("demo", await banner.GetAttributeAsync("data-banner"));

        await studio.Locator("[data-testid=hide-banner]").ClickAsync();
        await Assertions.Expect(banner).ToBeHiddenAsync();
        await Assertions.Expect(studio.Locator("main#main")).ToBeFocusedAsync();

        // A reload: not one frame with the notice on screen.
        await PageProbe.SampleEveryFrameAsync(context, ".nl-banner", "getComputedStyle(el).display !== 'none'");
        await studio.ReloadAsync();
        await Assertions.Expect(studio.Locator("[data-testid=studio]")).ToHaveAttributeAsync("data-role", "Owner", new() { Timeout = (float)BrowserFixture.UiTimeout.TotalMilliseconds });
        await Assertions.Expect(banner).ToBeAttachedAsync();
        await Assertions.Expect(banner).ToBeHiddenAsync();
        var samples = await PageProbe.FrameSamplesAsync<bool>(studio);
        Assert.DoesNotContain(true, samples);

        // Another browser has not hidden it.
        await using var other = await fixture.NewContextAsync();
        var fresh = await fixture.OpenStudioAsync(other);
        await Assertions.Expect(fresh.Locator("[data-testid=model-banner]")).ToBeVisibleAsync();
    }
}
