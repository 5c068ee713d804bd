using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using NitroLive.Core.Models;
using NitroLive.Testing;
using NitroLive.Web.Live;

namespace NitroLive.Browser.Tests;

/// <summary>
/// The studio on a server started on an export-shaped folder (two variants of the embedded model): the Realism /
/// Vibrant switch shows and really changes which model draws.
/// </summary>
[Collection(BrowserTestGroup.Name)]
public sealed class VariantStudioTests(BrowserFixture fixture)
{
    private static readonly TimeSpan UiTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TheStudioOffersRealismAndVibrantAndSwitchingChangesThePicture()
    {
        using var folder = TwoVariantModelFolder.Create(EmbeddedModel.DefaultDirectory);
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var app = await new AppServer(settings: new Dictionary<string, string?>
        {
            ["NitroLive:Model:Directory"] = folder.Directory,
            ["NitroLive:Model:Provider"] = "Cpu",
        }).StartAsync(startup.Token);
        await using var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            ColorScheme = ColorScheme.Dark,
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)UiTimeout.TotalMilliseconds);
        await page.GotoAsync(app.BaseAddress.ToString());
        await Assertions.Expect(page.Locator("[data-testid=studio]")).ToHaveAttributeAsync("data-role", "Owner");

        var switcher = page.Locator("[data-testid=variant]");
        await Assertions.Expect(switcher).ToBeVisibleAsync();
        await Assertions.Expect(Choice(switcher, "Realism")).ToBeVisibleAsync();
        await Assertions.Expect(Choice(switcher, "Vibrant")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid=model-name]")).ToHaveCountAsync(0);

        await LivePagesTests.UseGoodSeedAsync(page);
        await LivePagesTests.TypeAsync(page, LivePagesTests.RedCircle);
        var realism = await PageProbe.WaitForPixelsAsync(page, p => p.RedCenter && p.BlueBackground, "the realism variant's red centre on blue");
        realism = await StablePixelsAsync(page, realism);
        await PageProbe.ScreenshotAsync(page, "studio-variants-realism");

        await Choice(switcher, "Vibrant").ClickAsync();
        var vibrant = await PageProbe.WaitForPixelsAsync(page, p => p.Frame > realism.Frame && p.Hash != realism.Hash, "a new picture from the vibrant variant");
        var sessionId = (await page.Locator("[data-testid=share-url]").GetAttributeAsync("href"))!.Split('/')[^1];
        Assert.Equal("vibrant", app.Services.GetRequiredService<ILiveService>().GetSessionState(sessionId)!.Request.ModelVariant);
        await Assertions.Expect(page.Locator("[data-testid=hud-model]")).ToContainTextAsync("NitroSD-Vibrant");
        await PageProbe.ScreenshotAsync(page, "studio-variants-vibrant");

        // Same prompt and seed on realism again: exactly the first picture, so the change came from the variant alone.
        await Choice(switcher, "Realism").ClickAsync();
        await PageProbe.WaitForPixelsAsync(page, p => p.Frame > vibrant.Frame && p.Hash == realism.Hash, "the realism picture again");
    }

    private static ILocator Choice(ILocator switcher, string name) => switcher.GetByText(name, new() { Exact = true });

    /// <summary>Waits until the displayed picture stops changing (typing's intermediate frames are done).</summary>
    private static async Task<Pixels> StablePixelsAsync(IPage page, Pixels seen)
    {
        using var deadline = new CancellationTokenSource(PageProbe.FrameTimeout);
        while (!deadline.IsCancellationRequested)
        {
            await page.WaitForTimeoutAsync(1500);
            var now = await PageProbe.PixelsAsync(page) ?? seen;
            if (now.Frame == seen.Frame)
            {
                return now;
            }

            seen = now;
        }

        throw new TimeoutException($"The displayed frame kept changing; last seen: {seen}");
    }
}
