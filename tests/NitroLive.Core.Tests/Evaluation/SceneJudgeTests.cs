using NitroLive.Cli.Commands;
using NitroLive.Cli.Evaluation;
using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.Evaluation;

/// <summary>
/// The judge on pictures drawn here with render.py's rules (hard edges, pixel centres at +0.5), since the ground-truth
/// renderer is Python-only.
/// </summary>
public sealed class SceneJudgeTests
{
    private const int Size = 128;

    [Theory]
    [InlineData("circle", "red", "white", 64.0, 64.0, 56.0)]
    [InlineData("square", "blue", "yellow", 32.0, 96.0, 30.0)]
    [InlineData("triangle", "black", "green", 96.0, 32.0, 56.0)]
    [InlineData("circle", "orange", "purple", 96.0, 96.0, 30.0)]
    public void OneDrawnShapeIsFoundWithItsColourShapeAndCentroid(string shape, string colour, string background, double cx, double cy, double size)
    {
        var image = Canvas(background);
        Draw(image, shape, colour, cx, cy, size);

        var (foundBackground, objects) = SceneJudge.Analyze(image, Size, Size);

        Assert.Equal(background, foundBackground);
        var found = Assert.Single(objects);
        Assert.Equal(colour, found.Colour);
        Assert.Equal(shape, found.Shape);
        // A triangle's centroid sits a sixth of its height below the bounding-box centre.
        var expectedCy = shape == "triangle" ? cy + (size / 6) : cy;
        Assert.InRange(found.CentroidX, cx - 1, cx + 1);
        Assert.InRange(found.CentroidY, expectedCy - 1.5, expectedCy + 1.5);
    }

    [Fact]
    public void ThreeObjectsAreMatchedToTheirExpectedPlacesWhateverTheirOrder()
    {
        var image = Canvas("white");
        Draw(image, "square", "green", 30, 64, 30);
        Draw(image, "square", "green", 64, 64, 30);
        Draw(image, "square", "green", 98, 64, 30);
        // Expected objects listed right to left: the matching, not the list order, decides.
        var record = new HeldoutRecord("three green squares", "count", "white",
            [new ExpectedObject("green", "square", 98, 64), new ExpectedObject("green", "square", 64, 64), new ExpectedObject("green", "square", 30, 64)]);

        var verdict = SceneJudge.Check(image, Size, Size, record);

        Assert.Equal(new JudgeVerdict(Colour: true, Background: true, Position: true, Count: true, Shape: true), verdict);
        Assert.True(verdict.All);
    }

    [Fact]
    public void WrongColourShapePlaceAndBackgroundAreEachCaught()
    {
        var image = Canvas("blue");
        Draw(image, "triangle", "red", 96, 32, 56);
        var record = new HeldoutRecord("a yellow circle on a white background", "single", "white",
            [new ExpectedObject("yellow", "circle", 64, 64)]);

        var verdict = SceneJudge.Check(image, Size, Size, record);

        Assert.Equal(new JudgeVerdict(Colour: false, Background: false, Position: false, Count: true, Shape: false), verdict);
    }

    [Fact]
    public void SpecklesBelowTheMinimumAreaAreNotObjectsAndNearColoursSnapToThePalette()
    {
        var image = Canvas("white");
        Draw(image, "square", "purple", 64, 64, 40);
        // A 2x2 speck (4 px < 16) and a slightly-off purple, as a soft VAE edge would give.
        Draw(image, "square", "black", 10, 10, 2);
        for (var i = 0; i < image.Length; i += 3)
        {
            if (image[i] == 140)
            {
                image[i] = 150;
                image[i + 2] = 180;
            }
        }

        var (_, objects) = SceneJudge.Analyze(image, Size, Size);

        var found = Assert.Single(objects);
        Assert.Equal(("purple", "square"), (found.Colour, found.Shape));
    }

    [Fact]
    public void AMissingObjectFailsColourShapePositionAndCount()
    {
        var image = Canvas("white");
        Draw(image, "circle", "red", 38, 64, 40);
        var record = new HeldoutRecord("a red circle and a blue square", "pair", "white",
            [new ExpectedObject("red", "circle", 38.4, 64), new ExpectedObject("blue", "square", 89.6, 64)]);

        var verdict = SceneJudge.Check(image, Size, Size, record);

        Assert.Equal(new JudgeVerdict(Colour: false, Background: true, Position: false, Count: false, Shape: false), verdict);
    }

    [Fact]
    public void SummaryGivesPercentagesOverallAndPerKind()
    {
        var single = new HeldoutRecord("a", "single", "white", []);
        var pair = new HeldoutRecord("b", "pair", "white", []);
        var good = new JudgeVerdict(true, true, true, true, true);
        var badShape = good with { Shape = false };

        var summary = SceneJudge.Summarize([(single, good), (single, badShape), (pair, good)]);

        Assert.Equal(new JudgeScores(3, 100, 100, 100, 100, 66.7, 66.7), summary["all"]);
        Assert.Equal(new JudgeScores(2, 100, 100, 100, 100, 50, 50), summary["single"]);
        Assert.Equal(new JudgeScores(1, 100, 100, 100, 100, 100, 100), summary["pair"]);
        Assert.False(summary.ContainsKey("count"));
    }

    [Fact]
    public void APromptKeepsItsSeedWhenOnlyItsKindIsEvaluated()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nitrolive-heldout-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """
            [
              {"prompt": "a red circle", "scene": {"kind": "single", "background_colour": "white", "objects": []}},
              {"prompt": "two red circles", "scene": {"kind": "count", "background_colour": "white", "objects": []}},
              {"prompt": "a red circle and a blue square", "scene": {"kind": "pair", "background_colour": "white", "objects": []}},
              {"prompt": "three blue squares", "scene": {"kind": "count", "background_colour": "black", "objects": []}}
            ]
            """);
        try
        {
            var all = HeldoutRecord.Load(path);
            var model = new ModelDescription("Tiny", "tiny", true, 128, 128, [(128, 128)], [1], 250, 1, "CPU", "MIT");

            var counts = EvalModelCommand.Select(all, "count", limit: null);

            Assert.Equal(["two red circles", "three blue squares"], counts.Select(r => r.Prompt));
            Assert.Equal([101L, 103L], counts.Select(r => EvalModelCommand.RequestFor(r, 1, 100, model).Seed));
            Assert.Equal([100L, 101L, 102L, 103L], all.Select(r => EvalModelCommand.RequestFor(r, 1, 100, model).Seed));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] Canvas(string background)
    {
        var (r, g, b) = SceneJudge.PaletteRgb(background);
        var image = new byte[Size * Size * 3];
        for (var i = 0; i < image.Length; i += 3)
        {
            (image[i], image[i + 1], image[i + 2]) = (r, g, b);
        }

        return image;
    }

    // render.shape_mask: circle = disk of diameter s, square = s x s, triangle = apex up, base at the bottom.
    private static void Draw(byte[] image, string shape, string colour, double cx, double cy, double s)
    {
        var (r, g, b) = SceneJudge.PaletteRgb(colour);
        var h = s / 2;
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                double px = x + 0.5, py = y + 0.5;
                var t = (py - (cy - h)) / s;
                var inside = shape switch
                {
                    "circle" => ((px - cx) * (px - cx)) + ((py - cy) * (py - cy)) <= h * h,
                    "square" => Math.Abs(px - cx) <= h && Math.Abs(py - cy) <= h,
                    _ => t >= 0 && t <= 1 && Math.Abs(px - cx) <= t * h,
                };
                if (inside)
                {
                    var i = 3 * ((y * Size) + x);
                    (image[i], image[i + 1], image[i + 2]) = (r, g, b);
                }
            }
        }
    }
}
