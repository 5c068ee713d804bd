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
