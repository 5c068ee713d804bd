using Microsoft.Playwright;

namespace NitroLive.Browser.Tests;

/// <summary>"Copy picture" puts the server's full-quality picture on the clipboard, as a PNG a chat or a document takes.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class CopyPictureTests(BrowserFixture fixture)
{
    // Size and a digest of every pixel: two pictures alike here are the same picture.
    private const string Digest = """
        async (source) => {
          const bitmap = await createImageBitmap(source);
          const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
          const context = canvas.getContext("2d");
          context.drawImage(bitmap, 0, 0);
          let hash = 0;
          for (const value of context.getImageData(0, 0, bitmap.width, bitmap.height).data) {
            hash = (Math.imul(hash, 31) + value) | 0;
          }
          return `${bitmap.width}x${bitmap.height} ${hash}`;
        }
        """;

    [Fact]
    public async Task CopyPicturePutsTheServersPictureOnTheClipboardAsAPng()
    {
        await using var context = await fixture.NewContextAsync();
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        var studio = await fixture.OpenStudioAsync(context);
        var copy = studio.Locator("[data-testid=copy-picture]");
        await Assertions.Expect(copy).ToBeDisabledAsync();

        // No drafts, and the typed prompt's own picture on screen: the newest the server holds, which frame.png gives below.
        await studio.Locator("input[data-testid=draft-while-typing], [data-testid=draft-while-typing] input").First.UncheckAsync();
        await LivePagesTests.TypeAsync(studio, LivePagesTests.RedCircle);
        await Assertions.Expect(studio.Locator("canvas[data-testid=frame]"))
            .ToHaveAttributeAsync("aria-label", $"Picture of “{LivePagesTests.RedCircle}”", new() { Timeout = (float)BrowserFixture.UiTimeout.TotalMilliseconds });
        await copy.ClickAsync();
        await Assertions.Expect(studio.Locator(".mud-snackbar")).ToContainTextAsync("Picture copied.");

        var session = await studio.Locator("[data-testid=studio]").GetAttributeAsync("data-session");
        var server = await studio.EvaluateAsync<string>($"async () => ({Digest})(await (await fetch('live/sessions/{session}/frame.png')).blob())");
        var screen = await studio.EvaluateAsync<string>($"async () => ({Digest})(document.querySelector('canvas[data-testid=frame]'))");
        var copied = await studio.EvaluateAsync<string?>($$"""
            async () => {
              const item = (await navigator.clipboard.read()).find((i) => i.types.includes("image/png"));
              return item ? ({{Digest}})(await item.getType("image/png")) : null;
            }
            """);
        Assert.Equal(server, copied);
        Assert.Equal(screen.Split(' ')[0], copied!.Split(' ')[0]); // the size on screen
    }
}
