using System.Text.Json;
using Microsoft.Playwright;

namespace NitroLive.Browser.Tests;

/// <summary>
/// The frame module (wwwroot/js/frames.js) on its own, in chromium, with the browser's decoder held back so that decodes
/// finish in the order a test chooses: a frame whose decode ends after a newer frame's was drawn must not cover it.
/// Live, this happens when a call the server gave up on is still decoding while the next frame arrives.
/// </summary>
[Collection(BrowserTestGroup.Name)]
public sealed class FrameModuleTests(BrowserFixture fixture)
{
    // Two PNGs of different sizes, so the canvas's size alone says which one it shows; each show() gets its decode held
    // until the test lets it go, then resolves with the real decoder's bitmap.
    private const string Harness = """
        async () => {
          const frames = await import("/js/frames.js");
          const png = async (size, colour) => {
            const canvas = new OffscreenCanvas(size, size);
            const context = canvas.getContext("2d");
            context.fillStyle = colour;
            context.fillRect(0, 0, size, size);
            return new Uint8Array(await (await canvas.convertToBlob({ type: "image/png" })).arrayBuffer());
          };
          const decode = globalThis.createImageBitmap.bind(globalThis);
          const held = [];
          globalThis.createImageBitmap = (blob) => new Promise((resolve, reject) => held.push(() => decode(blob).then(resolve, reject)));
          globalThis.__frameHarness = { frames, png, held, canvas: document.createElement("canvas") };
        }
        """;

    // Shows an 8 px frame (id 1), then a 16 px one (id 2), lets their decodes finish in the given order, and reports what
    // the canvas showed after each.
    private const string ShowBoth = """
        async (order) => {
          const { frames, png, held, canvas } = globalThis.__frameHarness;
          frames.reset(canvas);
          held.length = 0;
          const older = frames.show(canvas, await png(8, "red"), "image/png", 1, false);
          const newer = frames.show(canvas, await png(16, "blue"), "image/png", 2, false);
          const pending = [older, newer];
          const seen = [];
          for (const index of order) {
            held[index]();
            await pending[index];
            seen.push({ frame: canvas.dataset.frame ?? null, width: canvas.width });
          }
          return seen;
        }
        """;

    [Fact]
    public async Task AFrameWhoseDecodeFinishesLateNeverCoversANewerOne()
    {
        await using var context = await fixture.Browser.NewContextAsync().WaitAsync(BrowserFixture.UiTimeout);
        var page = await OpenHarnessAsync(context);

        // The older frame's decode ends last: it must be dropped, the newer picture stays.
        var late = await ShowBothAsync(page, [1, 0]);
        Assert.Equal(["2:16", "2:16"], late);

        // In arrival order both are drawn, one after the other (so the check above is not one that drops everything).
        var inOrder = await ShowBothAsync(page, [0, 1]);
        Assert.Equal(["1:8", "2:16"], inOrder);
    }

    [Fact]
    public async Task AFrameStillDecodingWhenThePageLeavesItsSessionIsNeverDrawn()
    {
        await using var context = await fixture.Browser.NewContextAsync().WaitAsync(BrowserFixture.UiTimeout);
        var page = await OpenHarnessAsync(context);
        var result = await page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const { frames, png, held, canvas } = globalThis.__frameHarness;
              held.length = 0;
              const pending = frames.show(canvas, await png(8, "red"), "image/png", 7, false);
              frames.reset(canvas);
              held[0]();
              await pending;
              const afterReset = { frame: canvas.dataset.frame ?? null, width: canvas.width, hasFrame: canvas.classList.contains("has-frame") };
              // The session the page opened next draws as usual.
              const next = frames.show(canvas, await png(16, "blue"), "image/png", 8, false);
              held[1]();
              await next;
              return { afterReset, next: { frame: canvas.dataset.frame ?? null, width: canvas.width } };
            }
            """).WaitAsync(BrowserFixture.UiTimeout);

        var afterReset = result.GetProperty("afterReset");
        Assert.Equal(JsonValueKind.Null, afterReset.GetProperty("frame").ValueKind);
        Assert.Equal(0, afterReset.GetProperty("width").GetInt32());
        Assert.False(afterReset.GetProperty("hasFrame").GetBoolean());
        Assert.Equal("8", result.GetProperty("next").GetProperty("frame").GetString());
        Assert.Equal(16, result.GetProperty("next").GetProperty("width").GetInt32());
    }

    // A view an error removed while its module loaded is attached with a canvas Blazor no longer has (null here): that
    // must not throw, since the exception would reach the page's error boundary ("Something went wrong").
    [Fact]
    public async Task AttachingAViewWhoseCanvasLeftThePageDoesNothing()
    {
        await using var context = await fixture.Browser.NewContextAsync().WaitAsync(BrowserFixture.UiTimeout);
        var page = await OpenHarnessAsync(context);

        var error = await page.EvaluateAsync<string?>(
            """
            () => {
              const { frames } = globalThis.__frameHarness;
              try {
                frames.attach(null, 12);
                frames.attach(undefined, 12);
                return null;
              } catch (e) {
                return String(e);
              }
            }
            """).WaitAsync(BrowserFixture.UiTimeout);

        Assert.Null(error);
    }

    // The strip kept for a reload: thumbnails scaled down to 144 px, room made by dropping other sessions' strips when
    // the tab's storage is full, and on the way back only picture data URLs go into an img.
    [Fact]
    public async Task TheStripIsKeptSmallMakesRoomForItselfAndComesBackOnlyAsPictures()
    {
        await using var context = await fixture.Browser.NewContextAsync().WaitAsync(BrowserFixture.UiTimeout);
        var page = await OpenHarnessAsync(context);
        var result = await page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const { frames, png, held, canvas } = globalThis.__frameHarness;
              frames.reset(canvas);
              held.length = 0;
              const shown = frames.show(canvas, await png(300, "red"), "image/png", 5, true);
              held[0]();
              await shown;

              sessionStorage.clear();
              sessionStorage.setItem("not-ours", "kept");
              let filled = 0;
              for (const size of [256 * 1024, 1024, 16]) {
                try {
                  for (;;) { sessionStorage.setItem("nitro-history:other-" + filled, "x".repeat(size)); filled++; }
                } catch { /* full at this size: smaller pieces next, till not even 16 characters fit */ }
              }

              const strip = document.createElement("ol");
              strip.innerHTML = '<li><img data-frame="5" data-request=\'{"prompt":"a red circle"}\'></li>';
              frames.fillThumbs(canvas, strip, "nitro-history");
              const deadline = performance.now() + 5000;
              while (sessionStorage.getItem("nitro-history") === null && performance.now() < deadline) {
                await new Promise((r) => setTimeout(r, 50));
              }
              const kept = JSON.parse(sessionStorage.getItem("nitro-history") ?? "null");
              const image = new Image();
              image.src = kept?.items?.[0]?.thumb ?? "";
              await image.decode().catch(() => {});

              sessionStorage.setItem("nitro-history:mixed", JSON.stringify({ version: 1, items: [
                { request: { prompt: "script" }, thumb: "javascript:alert(1)" },
                { request: { prompt: "svg" }, thumb: "data:image/svg+xml;base64,PHN2Zy8+" },
                { request: { prompt: "no thumb" } },
                { request: { prompt: "x".repeat(501) }, thumb: kept?.items?.[0]?.thumb },
                { request: null, thumb: kept?.items?.[0]?.thumb },
                { request: { prompt: "picture" }, thumb: kept?.items?.[0]?.thumb },
              ]}));
              const restored = JSON.parse(frames.restoreThumbs(canvas, "nitro-history:mixed", 12, 500));
              // 48 entries of 500 characters would pass the circuit's 32 KB message limit: part of them comes back.
              sessionStorage.setItem("nitro-history:big", JSON.stringify({ version: 1, items: Array.from({ length: 48 }, (_, i) =>
                ({ request: { prompt: String(i).padEnd(500, "x") }, thumb: kept?.items?.[0]?.thumb })) }));
              const big = frames.restoreThumbs(canvas, "nitro-history:big", 48, 500);
              return {
                filled,
                items: kept?.items?.length ?? 0,
                prompt: kept?.items?.[0]?.request?.prompt ?? null,
                thumb: (kept?.items?.[0]?.thumb ?? "").slice(0, 23),
                width: image.naturalWidth,
                others: Object.keys(sessionStorage).filter((k) => k.startsWith("nitro-history:other-")).length,
                notOurs: sessionStorage.getItem("not-ours"),
                restored,
                bigChars: big.length,
                bigCount: JSON.parse(big).length,
              };
            }
            """).WaitAsync(BrowserFixture.UiTimeout);

        Assert.True(result.GetProperty("filled").GetInt32() > 0, result.ToString());
        Assert.Equal(1, result.GetProperty("items").GetInt32());
        Assert.Equal("a red circle", result.GetProperty("prompt").GetString());
        Assert.Equal("data:image/jpeg;base64,", result.GetProperty("thumb").GetString());
        Assert.Equal(144, result.GetProperty("width").GetInt32());
        Assert.Equal(0, result.GetProperty("others").GetInt32());
        Assert.Equal("kept", result.GetProperty("notOurs").GetString());
        Assert.InRange(result.GetProperty("bigChars").GetInt32(), 20 * 1024, 24 * 1024);
        Assert.InRange(result.GetProperty("bigCount").GetInt32(), 30, 47);
        var restored = Assert.Single(result.GetProperty("restored").EnumerateArray());
        Assert.Equal(-1, restored.GetProperty("id").GetInt32());
        Assert.Equal("picture", restored.GetProperty("request").GetProperty("prompt").GetString());
    }

    // Where the server no longer holds a frame, Copy picture and Download PNG take what the canvas shows (one helper
    // makes that PNG for both); a canvas that shows nothing gives neither.
    [Fact]
    public async Task WhatTheCanvasShowsIsCopiedAndSavedAsAPng()
    {
        await using var context = await fixture.NewContextAsync();
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        var page = await OpenHarnessAsync(context);

        var empty = await page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const { frames, canvas } = globalThis.__frameHarness;
              frames.reset(canvas);
              return { copy: await frames.copyPicture(canvas, null), save: await frames.saveCanvas(canvas, "none.png") };
            }
            """).WaitAsync(BrowserFixture.UiTimeout);
        Assert.Equal(("unsupported", false), (empty.GetProperty("copy").GetString(), empty.GetProperty("save").GetBoolean()));

        var download = page.WaitForDownloadAsync();
        var copied = await page.EvaluateAsync<string>(
            """
            async () => {
              const { frames, png, held, canvas } = globalThis.__frameHarness;
              held.length = 0;
              const shown = frames.show(canvas, await png(16, "blue"), "image/png", 1, false);
              held[0]();
              await shown;
              const outcome = await frames.copyPicture(canvas, null);
              const item = (await navigator.clipboard.read()).find((i) => i.types.includes("image/png"));
              const decoding = createImageBitmap(await item.getType("image/png"));
              held.at(-1)(); // the harness holds every decode
              const bitmap = await decoding;
              await frames.saveCanvas(canvas, "shown.png");
              return `${outcome} ${bitmap.width}x${bitmap.height}`;
            }
            """).WaitAsync(BrowserFixture.UiTimeout);
        Assert.Equal("copied 16x16", copied);

        var saved = await download.WaitAsync(BrowserFixture.UiTimeout);
        Assert.Equal("shown.png", saved.SuggestedFilename);
        await using var file = await saved.CreateReadStreamAsync();
        var signature = new byte[8];
        await file.ReadExactlyAsync(signature);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], signature);
    }

    private async Task<IPage> OpenHarnessAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync().WaitAsync(BrowserFixture.UiTimeout);
        page.SetDefaultTimeout((float)BrowserFixture.UiTimeout.TotalMilliseconds);
        // Any page of the app's origin can import the module; a plain-text one keeps Blazor out of the way.
        await page.GotoAsync(new Uri(fixture.App.BaseAddress, "healthz").ToString());
        await page.EvaluateAsync(Harness).WaitAsync(BrowserFixture.UiTimeout);
        return page;
    }

    private static async Task<string[]> ShowBothAsync(IPage page, int[] order)
    {
        var seen = await page.EvaluateAsync<JsonElement>(ShowBoth, order).WaitAsync(BrowserFixture.UiTimeout);
        return [.. seen.EnumerateArray().Select(s => $"{s.GetProperty("frame").GetString()}:{s.GetProperty("width").GetInt32()}")];
    }
}
