using System.Text.Json;
using NitroLive.Core.Imaging.Jpeg;

namespace NitroLive.Browser.Tests;

/// <summary>
/// Chromium decodes what NitroLive's JPEG encoder writes for large frames: stripes coded in parallel, joined by restart
/// markers. (The studio's 128 px frames of the embedded model are coded in one pass; every other browser test decodes
/// those.)
/// </summary>
[Collection(BrowserTestGroup.Name)]
public sealed class JpegDecodeTests(BrowserFixture fixture)
{
    [Fact]
    public async Task ChromiumDecodesAFrameCodedInParallelStripesToThePixelsOfOnePass()
    {
        const int width = 512, height = 512;
        var rgb = new byte[width * height * 3];
        for (var i = 0; i < rgb.Length; i += 3)
        {
            var (x, y) = ((i / 3) % width, (i / 3) / width);
            rgb[i] = (byte)(x / 2);
            rgb[i + 1] = (byte)(y / 2);
            rgb[i + 2] = (byte)((x * y % 97) + (((x / 64) + (y / 64)) % 2 * 120));
        }

        var onePass = new BaselineJpegEncoder(85, maxParallelism: 1).Encode(rgb, width, height);
        var striped = new BaselineJpegEncoder(85, maxParallelism: 4).Encode(rgb, width, height);
        Assert.NotEqual(onePass, striped);

        await using var context = await fixture.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var result = await page.EvaluateAsync<JsonElement>(
            """
            async ([a, b]) => {
              const pixels = async (base64) => {
                const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
                const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/jpeg" }));
                const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
                const context = canvas.getContext("2d");
                context.drawImage(bitmap, 0, 0);
                return { width: bitmap.width, height: bitmap.height, data: context.getImageData(0, 0, bitmap.width, bitmap.height).data };
              };
              const [one, two] = [await pixels(a), await pixels(b)];
              let differing = 0, red = 0;
              for (let i = 0; i < one.data.length; i++) {
                if (one.data[i] !== two.data[i]) differing++;
              }
              for (let i = 0; i < two.data.length; i += 4) red += two.data[i];
              return { width: two.width, height: two.height, differing, meanRed: red / (two.width * two.height) };
            }
            """,
            new[] { Convert.ToBase64String(onePass), Convert.ToBase64String(striped) });

        Assert.Equal(width, result.GetProperty("width").GetInt32());
        Assert.Equal(height, result.GetProperty("height").GetInt32());
        Assert.Equal(0, result.GetProperty("differing").GetInt32());

        // Not a blank or garbled picture: red runs 0 to 255 across, so its mean is about 128.
        Assert.InRange(result.GetProperty("meanRed").GetDouble(), 118, 138);
    }
}
