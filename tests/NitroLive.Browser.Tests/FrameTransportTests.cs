using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace NitroLive.Browser.Tests;

/// <summary>
/// Measures how frames reach the browser (bytes per frame on the wire, decode and frame-to-paint time) and checks
/// that they travel as binary: the JPEG's own bytes appear in binary WebSocket messages, and no base64 JPEG appears
/// anywhere. Measured on a viewer of a shared session while the owner types, so the wire carries what a watcher
/// needs (frames and the live prompt) and nothing of the typing itself. Writes artifacts/browser/frame-metrics.json
/// (the figures in docs/ui.md come from it).
/// </summary>
[Collection(BrowserTestGroup.Name)]
public sealed class FrameTransportTests(BrowserFixture fixture)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static readonly string[] Prompts =
    [
        "a red circle on a blue background", "a yellow sun over green hills", "a white sailboat on a dark blue sea",
        "an orange square on a purple background", "a snowy mountain under a pink sky",
    ];

    [Fact]
    public async Task FramesTravelAsBinaryAndTheirCostIsMeasured()
    {
        await using var ownerContext = await fixture.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        var owner = await ownerContext.NewPageAsync();
        await owner.GotoAsync(fixture.App.BaseAddress.ToString());
        await Assertions.Expect(owner.Locator("[data-testid=studio]")).ToHaveAttributeAsync("data-role", "Owner");
        var shareUrl = await owner.Locator("[data-testid=share-url]").GetAttributeAsync("href");

        await using var context = await fixture.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();

        var binaryBytes = 0L;
        var textBytes = 0L;
        var jpegMessages = 0;
        var base64Jpegs = 0;
        var gate = new object();
        var cdp = await context.NewCDPSessionAsync(page);
        cdp.Event("Network.webSocketFrameReceived").OnEvent += (_, e) =>
        {
            if (e is not { } evt)
            {
                return;
            }

            var response = evt.GetProperty("response");
            var payload = response.GetProperty("payloadData").GetString() ?? string.Empty;
            var binary = response.GetProperty("opcode").GetInt32() == 2;
            var bytes = binary ? Convert.FromBase64String(payload) : Encoding.UTF8.GetBytes(payload);
            var text = Encoding.Latin1.GetString(bytes);
            lock (gate)
            {
                if (binary)
                {
                    binaryBytes += bytes.Length;
                }
                else
                {
                    textBytes += bytes.Length;
                }

                if (binary && (text.Contains("\u00FF\u00D8\u00FF", StringComparison.Ordinal) || text.Contains("RIFF", StringComparison.Ordinal)))
                {
                    jpegMessages++;
                }

                // "/9j/" is how every base64 JPEG starts; "UklGR" every base64 WebP.
                if (text.Contains("/9j/", StringComparison.Ordinal) || text.Contains("UklGR", StringComparison.Ordinal))
                {
                    base64Jpegs++;
                }
            }
        };
        await cdp.SendAsync("Network.enable");

        await page.GotoAsync(shareUrl!);
        await Assertions.Expect(page.Locator("[data-testid=studio]")).ToHaveAttributeAsync("data-role", "Viewer");
        foreach (var prompt in Prompts)
        {
            var before = await PageProbe.FramesShownAsync(page);
            await owner.Locator("#prompt").FillAsync(string.Empty);
            await owner.Locator("#prompt").PressSequentiallyAsync(prompt, new() { Delay = 35 });
            await PageProbe.WaitForAsync(page, $"() => globalThis.__nitroFrames.shown > {before.ToString(CultureInfo.InvariantCulture)}",
                PageProbe.FrameTimeout, $"a frame of “{prompt}”");
        }

        // Let the last frames land and their paint times be recorded.
        await Task.Delay(1000);
        var samples = (await page.EvaluateAsync<JsonElement>("() => globalThis.__nitroFrames.samples"))
            .EnumerateArray().ToList();
        var shown = samples.Count;
        Assert.True(shown >= Prompts.Length, $"only {shown} frames shown");

        double[] Values(string name) => [.. samples
            .Select(s => s.GetProperty(name))
            .Where(v => v.ValueKind == JsonValueKind.Number)
            .Select(v => v.GetDouble())
            .Order()];
        static double Pct(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];

        var imageBytes = Values("bytes");
        var decode = Values("decodeMs");
        var toPaint = Values("toPaintMs");
        long wire;
        int jpegs;
        int base64;
        lock (gate)
        {
            wire = binaryBytes + textBytes;
            jpegs = jpegMessages;
            base64 = base64Jpegs;
        }

        var first = samples[0];
        var metrics = new
        {
            measuredAt = DateTimeOffset.UtcNow,
            frames = shown,
            imageType = first.GetProperty("type").GetString(),
            width = first.GetProperty("width").GetInt32(),
            height = first.GetProperty("height").GetInt32(),
            imageBytesPerFrameMean = imageBytes.Average(),
            websocketBytesPerFrame = (double)wire / shown,
            websocketTextBytes = textBytes,
            binaryMessagesCarryingAnImage = jpegs,
            base64ImagesSeen = base64,
            decodeMsP50 = Pct(decode, 0.5),
            decodeMsP95 = Pct(decode, 0.95),
            frameToPaintMsP50 = Pct(toPaint, 0.5),
            frameToPaintMsP95 = Pct(toPaint, 0.95),
            base64WouldBeBytesPerFrame = Math.Ceiling(imageBytes.Average() / 3) * 4,
        };
        await File.WriteAllTextAsync(
            Path.Combine(BrowserFixture.ArtifactsDirectory, "frame-metrics.json"),
            JsonSerializer.Serialize(metrics, Indented));

        Assert.Equal(0, base64);
        Assert.True(jpegs >= shown, $"{jpegs} binary messages carried an image for {shown} frames shown");
        Assert.True(toPaint.Length > 0 && Pct(toPaint, 0.5) < 1000, $"frame-to-paint p50 {Pct(toPaint, 0.5)} ms");
    }
}
