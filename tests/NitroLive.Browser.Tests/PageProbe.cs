using System.Text.Json;
using Microsoft.Playwright;

namespace NitroLive.Browser.Tests;

/// <summary>What the browser really shows: the displayed canvas's pixels and the frame module's measurements.</summary>
internal static class PageProbe
{
    public static readonly TimeSpan FrameTimeout = TimeSpan.FromSeconds(90);

    private const string ReadPixels = """
        () => {
          const cv = document.querySelector("canvas[data-testid=frame]");
          if (!cv || !cv.classList.contains("has-frame")) return null;
          const ctx = cv.getContext("2d");
          const w = cv.width, h = cv.height;
          const avg = (x0, y0, x1, y1) => {
            const d = ctx.getImageData(x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0)).data;
            let r = 0, g = 0, b = 0;
            const n = d.length / 4;
            for (let i = 0; i < d.length; i += 4) { r += d[i]; g += d[i + 1]; b += d[i + 2]; }
            return [r / n, g / n, b / n];
          };
          const e = Math.max(1, Math.floor(Math.min(w, h) * 0.15));
          const corners = [avg(0, 0, e, e), avg(w - e, 0, w, e), avg(0, h - e, e, h), avg(w - e, h - e, w, h)];
          const bg = [0, 1, 2].map(i => corners.reduce((s, c) => s + c[i], 0) / 4);
          let hash = 0;
          const all = ctx.getImageData(0, 0, w, h).data;
          for (let i = 0; i < all.length; i += 97) { hash = (hash * 31 + all[i]) | 0; }
          return {
            frame: Number(cv.dataset.frame), width: w, height: h,
            center: avg(Math.floor(w * 0.4), Math.floor(h * 0.4), Math.ceil(w * 0.6), Math.ceil(h * 0.6)),
            background: bg, hash,
          };
        }
        """;

    public static async Task<Pixels?> PixelsAsync(IPage page)
    {
        var json = await page.EvaluateAsync<JsonElement?>(ReadPixels);
        if (json is not { ValueKind: JsonValueKind.Object } value)
        {
            return null;
        }

        static double[] Rgb(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetDouble())];
        return new Pixels(
            value.GetProperty("frame").GetInt64(), value.GetProperty("width").GetInt32(), value.GetProperty("height").GetInt32(),
            Rgb(value.GetProperty("center")), Rgb(value.GetProperty("background")), value.GetProperty("hash").GetInt32());
    }

    /// <summary>Polls the displayed frame until it satisfies the condition, or fails with what was last seen.</summary>
    public static async Task<Pixels> WaitForPixelsAsync(IPage page, Func<Pixels, bool> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? FrameTimeout);
        Pixels? last = null;
        while (!cts.IsCancellationRequested)
        {
            last = await PixelsAsync(page);
            if (last is not null && condition(last))
            {
                return last;
            }

            await Task.Delay(250, CancellationToken.None);
        }

        throw new TimeoutException($"The displayed frame never showed {what}; last seen: {last}");
    }

    /// <summary>How many frames the page's frame module has drawn.</summary>
    public static Task<int> FramesShownAsync(IPage page) =>
        page.EvaluateAsync<int>("() => globalThis.__nitroFrames?.shown ?? 0");

    /// <summary>Polls a condition in the page (JS expression) until true.</summary>
    public static async Task WaitForAsync(IPage page, string expression, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!cts.IsCancellationRequested)
        {
            if (await page.EvaluateAsync<bool>(expression))
            {
                return;
            }

            await Task.Delay(200, CancellationToken.None);
        }

        throw new TimeoutException($"Timed out waiting for {what} ({expression}).");
    }

    /// <summary>
    /// Runs a Playwright wait; when it times out, fails with what the page shows, a screenshot
    /// (<c>failed-{name}.png</c>) and the server's latest log lines, so a CI failure says what the server was doing.
    /// </summary>
    public static async Task ExplainTimeoutAsync(IPage page, AppServer app, string name, Func<Task> wait)
    {
        try
        {
            await wait();
        }
        catch (TimeoutException ex)
        {
            string text;
            try
            {
                await ScreenshotAsync(page, "failed-" + name);
                text = await page.InnerTextAsync("body", new PageInnerTextOptions { Timeout = 5_000 });
            }
            catch (PlaywrightException inner)
            {
                text = "(page unreadable: " + inner.Message + ")";
            }

            throw new TimeoutException(
                $"{name}: {ex.Message}\npage {page.Url} shows:\n{text}\nserver log, latest lines:\n{app.Logs.Snapshot()}", ex);
        }
    }

    /// <summary>
    /// From each document's start in <paramref name="context"/>, samples <paramref name="expression"/> (a JS expression
    /// over <c>el</c>, the first element matching <paramref name="selector"/>) on every animation frame once the element
    /// exists; <see cref="FrameSamplesAsync{T}"/> reads the samples back. What a person could have seen for a moment,
    /// which a test that waits for the end state misses.
    /// </summary>
    public static Task SampleEveryFrameAsync(IBrowserContext context, string selector, string expression) =>
        context.AddInitScriptAsync($$"""
            window.__samples = [];
            const sample = () => {
              const el = document.querySelector({{JsonSerializer.Serialize(selector)}});
              if (el) window.__samples.push({{expression}});
              if (window.__samples.length < 2000) requestAnimationFrame(sample);
            };
            requestAnimationFrame(sample);
            """);

    /// <summary>The samples <see cref="SampleEveryFrameAsync"/> took in <paramref name="page"/>'s document so far.</summary>
    public static Task<T[]> FrameSamplesAsync<T>(IPage page) => page.EvaluateAsync<T[]>("() => window.__samples");

    public static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(BrowserFixture.ArtifactsDirectory, name + ".png"),
            FullPage = false,
        });

    /// <summary>Passes one WebSocket frame on unchanged, for tests that route the Blazor circuit's socket.</summary>
    public static void Forward(IWebSocketFrame frame, Action<string> sendText, Action<byte[]> sendBinary)
    {
        // Blazor's own protocol is binary (its text frames are the handshake only).
        if (frame.Binary is { } binary)
        {
            sendBinary(binary);
        }
        else if (frame.Text is { } text)
        {
            sendText(text);
        }
    }
}

/// <summary>Average colours of the displayed frame: its centre (the middle 20 %) and its four corners.</summary>
internal sealed record Pixels(long Frame, int Width, int Height, double[] Center, double[] Background, int Hash)
{
    public bool RedCenter => Center[0] > Center[1] + 40 && Center[0] > Center[2] + 40;

    public bool BlueBackground => Background[2] > Background[0] + 30 && Background[2] > Background[1] + 10;

    public override string ToString() =>
        $"frame {Frame} {Width}x{Height}, centre rgb({Fmt(Center)}), corners rgb({Fmt(Background)})";

    private static string Fmt(double[] rgb) => string.Join(", ", rgb.Select(v => v.ToString("0", System.Globalization.CultureInfo.InvariantCulture)));
}
