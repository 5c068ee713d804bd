using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.Pipeline;

/// <summary>What the embedded demo model draws, judged by pixel statistics through the whole C# pipeline.</summary>
public sealed class EmbeddedModelDrawsTests(EmbeddedPipelineFixture fixture) : IClassFixture<EmbeddedPipelineFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task ARedCircleOnABlueBackgroundHasABlueBackgroundAndARedBlobNearTheCentre(int steps)
    {
        var pipeline = fixture.Pipeline;
        var w = pipeline.Model.NativeWidth;
        var h = pipeline.Model.NativeHeight;
        foreach (var seed in new long[] { 0, 1, 2 })
        {
            var image = (await pipeline.GenerateAsync([new GenerationRequest("a red circle on a blue background", steps, seed, w, h)], CancellationToken.None)
                .WaitAsync(Timeout))[0].Rgb;

            // Background: the outer eighth of the frame is clearly blue.
            double r = 0, g = 0, b = 0;
            var border = 0;
            var margin = w / 8;
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    if (x >= margin && x < w - margin && y >= margin && y < h - margin)
                    {
                        continue;
                    }

                    var p = 3 * ((y * w) + x);
                    r += image[p];
                    g += image[p + 1];
                    b += image[p + 2];
                    border++;
                }
            }

            (r, g, b) = (r / border, g / border, b / border);
            Assert.True(b > 120 && b > r + 60 && b > g + 60, $"seed {seed}: border mean RGB ({r:F0}, {g:F0}, {b:F0}) is not blue");

            // Object: red pixels form a blob of sensible size whose centroid is near the centre.
            long count = 0, sumX = 0, sumY = 0;
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    var p = 3 * ((y * w) + x);
                    if (image[p] > 150 && image[p + 1] < 100 && image[p + 2] < 100)
                    {
                        count++;
                        sumX += x;
                        sumY += y;
                    }
                }
            }

            var fraction = count / (double)(w * h);
            Assert.True(fraction is > 0.03 and < 0.5, $"seed {seed}: {fraction:P1} of the pixels are red");
            var (cx, cy) = (sumX / (double)count, sumY / (double)count);
            Assert.True(Math.Abs(cx - (w / 2.0)) < w / 8.0 && Math.Abs(cy - (h / 2.0)) < h / 8.0,
                $"seed {seed}: the red blob's centroid ({cx:F1}, {cy:F1}) is not near the centre");
        }
    }
}
