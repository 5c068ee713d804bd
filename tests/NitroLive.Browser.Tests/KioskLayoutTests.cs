using System.Globalization;
using Microsoft.Playwright;

namespace NitroLive.Browser.Tests;

/// <summary>The kiosk's overlays keep clear of each other on any screen, from a small phone to a wall display.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class KioskLayoutTests(BrowserFixture fixture)
{
    private static TimeSpan UiTimeout => BrowserFixture.UiTimeout;

    // A kiosk's reconnection (a quiet strip that retries forever) is chosen when its page loads: the app bar's link
    // must load the kiosk, not route to it inside the studio's page.
    [Fact]
    public async Task TheAppBarsKioskLinkOpensAKioskThatReconnectsLikeOne()
    {
        await using var context = await fixture.NewContextAsync();
        var studio = await fixture.OpenStudioAsync(context);
        Assert.Equal("false", await studio.Locator("#components-reconnect-modal").GetAttributeAsync("data-kiosk"));

        await studio.Locator("nav[aria-label=Pages] a", new() { HasTextString = "Kiosk" }).ClickAsync();

        await PageProbe.ExplainTimeoutAsync(studio, fixture.App, "kiosk-from-app-bar", () =>
            studio.WaitForURLAsync(url => url.Contains("/kiosk/", StringComparison.Ordinal), new() { Timeout = Ms(UiTimeout) }));
        await Assertions.Expect(studio.Locator("#components-reconnect-modal")).ToHaveAttributeAsync("data-kiosk", "true", new() { Timeout = Ms(UiTimeout) });
    }

    [Fact]
    public async Task ThePlaylistLabelNeverCoversTheQrCode()
    {
        await using var context = await fixture.NewContextAsync(width: 390, height: 844, mobile: true);
        var kiosk = await context.NewPageAsync();
        kiosk.SetDefaultTimeout(Ms(UiTimeout));
        await kiosk.GotoAsync(fixture.App.Url("kiosk").ToString());
        await PageProbe.ExplainTimeoutAsync(kiosk, fixture.App, "kiosk-layout-session", () =>
            kiosk.WaitForURLAsync(url => url.Contains("/kiosk/", StringComparison.Ordinal), new() { Timeout = Ms(UiTimeout) }));

        // A fresh kiosk goes to its playlist after AttractAfterSeconds (4 s in these tests).
        await Assertions.Expect(kiosk.Locator("[data-testid=kiosk]")).ToHaveAttributeAsync("data-attract", "true", new() { Timeout = Ms(UiTimeout) });
        var label = kiosk.Locator("[data-testid=kiosk-attract]");
        var qr = kiosk.Locator("[data-testid=kiosk-qr-box]");
        await Assertions.Expect(label).ToBeVisibleAsync(new() { Timeout = Ms(UiTimeout) });
        await PageProbe.ScreenshotAsync(kiosk, "kiosk-attract-phone");

        // The phone the review found it on, the widths around the narrow layout's edge, and a wall display.
        foreach (var (width, height) in new[] { (390, 844), (320, 568), (450, 800), (520, 900), (700, 500), (701, 500), (1280, 720) })
        {
            await kiosk.SetViewportSizeAsync(width, height);
            var at = string.Create(CultureInfo.InvariantCulture, $"{width}x{height}");
            var labelBox = await label.BoundingBoxAsync() ?? throw new InvalidOperationException($"no playlist label at {at}");
            var qrBox = await qr.BoundingBoxAsync() ?? throw new InvalidOperationException($"no QR box at {at}");

            Assert.False(Intersects(labelBox, qrBox), $"at {at} the playlist label {Describe(labelBox)} covers the QR box {Describe(qrBox)}");
            Assert.True(labelBox.X >= 0 && labelBox.X + labelBox.Width <= width, $"at {at} the playlist label {Describe(labelBox)} leaves the screen");

            // The caption wraps between words: a word split over two lines ("backgroun/d") is unreadable from afar.
            var broken = await kiosk.Locator("[data-testid=kiosk-caption]").EvaluateAsync<string[]>(BrokenWords);
            Assert.True(broken.Length == 0, $"at {at} the caption breaks inside {string.Join(", ", broken)}");
        }
    }

    // One phone's prompt of hundreds of characters covered the whole picture: the caption shows its end, and stays
    // within a third of the screen's height on a wall display and on a phone.
    [Fact]
    public async Task ALongPromptFromAPhoneLeavesThePictureInSight()
    {
        await using var context = await fixture.NewContextAsync(width: 1280, height: 720);
        var kiosk = await context.NewPageAsync();
        kiosk.SetDefaultTimeout(Ms(UiTimeout));
        await kiosk.GotoAsync(fixture.App.Url("kiosk").ToString());
        await PageProbe.ExplainTimeoutAsync(kiosk, fixture.App, "kiosk-long-caption", () =>
            kiosk.WaitForURLAsync(url => url.Contains("/kiosk/", StringComparison.Ordinal), new() { Timeout = Ms(UiTimeout) }));
        var join = await kiosk.Locator("[data-testid=kiosk-join-url]").TextContentAsync();

        await using var phoneContext = await fixture.NewContextAsync(width: 390, height: 844, mobile: true);
        var phone = await phoneContext.NewPageAsync();
        await phone.GotoAsync(join!.Trim());
        await Assertions.Expect(phone.Locator("[data-testid=studio]")).ToHaveAttributeAsync("data-role", "Typist", new() { Timeout = Ms(UiTimeout) });
        var prompt = string.Join(' ', Enumerable.Repeat("a red circle on a blue background with three white squares", 8)) + " and a yellow triangle";
        var caption = kiosk.Locator("[data-testid=kiosk-caption]");

        // The kiosk's playlist may move on at the very moment the prompt arrives (attract mode, 4 s here, until the
        // kiosk sees the typing): this test is about the caption's size, so the prompt is sent again if it was.
        for (var attempt = 1; ; attempt++)
        {
            await phone.Locator("#prompt").FillAsync(attempt % 2 == 1 ? prompt : prompt + ".");
            try
            {
                await Assertions.Expect(caption).ToContainTextAsync("and a yellow triangle", new() { Timeout = 5_000 });
                break;
            }
            catch (PlaywrightException) when (attempt < 3)
            {
                await PageProbe.ScreenshotAsync(phone, $"kiosk-long-caption-phone-{attempt}");
            }
        }

        await PageProbe.ScreenshotAsync(kiosk, "kiosk-long-caption");
        foreach (var (width, height) in new[] { (1280, 720), (390, 844) })
        {
            await kiosk.SetViewportSizeAsync(width, height);
            var box = await caption.BoundingBoxAsync() ?? throw new InvalidOperationException("no caption");
            Assert.True(box.Height <= height / 3.0, string.Create(CultureInfo.InvariantCulture, $"at {width}x{height} the caption {Describe(box)} covers more than a third of the screen"));
        }
    }

    // The words of an element's text whose letters lie on more than one line.
    private const string BrokenWords = """
        (element) => {
          const broken = [];
          for (const node of element.childNodes) {
            if (node.nodeType !== Node.TEXT_NODE) continue;
            for (const match of node.data.matchAll(/\S+/g)) {
              const range = document.createRange();
              range.setStart(node, match.index);
              range.setEnd(node, match.index + match[0].length);
              const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
              if (tops.size > 1) broken.push(match[0]);
            }
          }
          return broken;
        }
        """;

    private static bool Intersects(LocatorBoundingBoxResult a, LocatorBoundingBoxResult b) =>
        a.X < b.X + b.Width && b.X < a.X + a.Width && a.Y < b.Y + b.Height && b.Y < a.Y + a.Height;

    private static string Describe(LocatorBoundingBoxResult box) =>
        string.Create(CultureInfo.InvariantCulture, $"({box.X:0}, {box.Y:0}, {box.Width:0}×{box.Height:0})");

    private static float Ms(TimeSpan timeout) => (float)timeout.TotalMilliseconds;
}
