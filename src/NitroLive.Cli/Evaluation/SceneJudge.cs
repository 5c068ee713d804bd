using System.Text.Json;

namespace NitroLive.Cli.Evaluation;

/// <summary>One expected object of a held-out scene (true centroid, not the bounding-box centre).</summary>
internal sealed record ExpectedObject(string Colour, string Shape, double CentroidX, double CentroidY);

/// <summary>
/// One held-out prompt and its ground-truth scene (models/nitro-tiny/eval/heldout.json); <paramref name="Index"/> is its
/// place in that file, which gives its seed, so a subset draws every prompt as the full run does.
/// </summary>
internal sealed record HeldoutRecord(string Prompt, string Kind, string BackgroundColour, IReadOnlyList<ExpectedObject> Objects, int Index = 0)
{
    public static IReadOnlyList<HeldoutRecord> Load(string path)
    {
        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream);
        var records = new List<HeldoutRecord>();
        foreach (var item in document.RootElement.EnumerateArray())
        {
            var scene = item.GetProperty("scene");
            var objects = scene.GetProperty("objects").EnumerateArray()
                .Select(o => new ExpectedObject(
                    o.GetProperty("colour").GetString()!,
                    o.GetProperty("shape").GetString()!,
                    o.GetProperty("centroid_x").GetDouble(),
                    o.GetProperty("centroid_y").GetDouble()))
                .ToArray();
            records.Add(new HeldoutRecord(
                item.GetProperty("prompt").GetString()!,
                scene.GetProperty("kind").GetString()!,
                scene.GetProperty("background_colour").GetString()!,
                objects,
                records.Count));
        }

        return records;
    }
}

/// <summary>An object the judge found: a 4-connected component of non-background pixels.</summary>
internal sealed record FoundObject(string Colour, string Shape, double CentroidX, double CentroidY, int Area, double Fill);

/// <summary>Per-image verdict on each criterion; <see cref="All"/> is every criterion at once.</summary>
internal sealed record JudgeVerdict(bool Colour, bool Background, bool Position, bool Count, bool Shape)
{
    public bool All => Colour && Background && Position && Count && Shape;
}

/// <summary>Percentages per criterion for one group of prompts (rounded to 0.1 like judge.py).</summary>
internal sealed record JudgeScores(int N, double Colour, double Background, double Position, double Count, double Shape, double All);

/// <summary>
/// C# port of tools/tinymodel/judge.py, rule for rule, so the numbers measured through the C# pipeline compare with the
/// torch ones in the model card: nearest palette colour per pixel, background = most frequent palette colour, objects =
/// 4-connected non-background components of at least <see cref="MinArea"/> pixels, object colour = the component's most
/// frequent palette colour, shape by bounding-box fill ratio, centroid within <see cref="PositionTolerance"/> px of the
/// expected centroid after matching found to expected objects by the assignment with the least squared centroid distance.
/// Ties resolve like numpy (argmin/argmax take the first index, palette order as in grammar.py).
/// </summary>
internal static class SceneJudge
{
    public const int MinArea = 16;
    public const double PositionTolerance = 12.0;
    public const double SquareFill = 0.90;
    public const double CircleFill = 0.64;

    public static readonly IReadOnlyList<string> Kinds = ["single", "count", "pair"];

    // grammar.COLOURS, in its order (ties go to the earlier colour, as numpy's argmin does).
    private static readonly (string Name, int R, int G, int B)[] Palette =
    [
        ("red", 230, 30, 30),
        ("green", 30, 170, 50),
        ("blue", 30, 70, 230),
        ("yellow", 250, 225, 20),
        ("orange", 250, 140, 10),
        ("purple", 140, 40, 190),
        ("white", 255, 255, 255),
        ("black", 0, 0, 0),
    ];

    public static IReadOnlyList<string> PaletteNames { get; } = Palette.Select(p => p.Name).ToArray();

    public static (byte R, byte G, byte B) PaletteRgb(string name)
    {
        var p = Palette[Array.FindIndex(Palette, c => c.Name == name)];
        return ((byte)p.R, (byte)p.G, (byte)p.B);
    }

    public static (string Background, IReadOnlyList<FoundObject> Objects) Analyze(ReadOnlySpan<byte> rgb, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(rgb.Length, width * height * 3, nameof(rgb));
        var labels = new int[width * height];
        var histogram = new int[Palette.Length];
        for (var i = 0; i < labels.Length; i++)
        {
            int r = rgb[3 * i], g = rgb[(3 * i) + 1], b = rgb[(3 * i) + 2];
            var best = 0;
            var bestDistance = int.MaxValue;
            for (var c = 0; c < Palette.Length; c++)
            {
                var (_, pr, pg, pb) = Palette[c];
                var d = ((r - pr) * (r - pr)) + ((g - pg) * (g - pg)) + ((b - pb) * (b - pb));
                if (d < bestDistance)
                {
                    bestDistance = d;
                    best = c;
                }
            }

            labels[i] = best;
            histogram[best]++;
        }

        var background = ArgMax(histogram);
        var objects = new List<FoundObject>();
        var component = new int[labels.Length];
        var queue = new Queue<int>();
        var points = new List<int>();
        var id = 0;
        // Seeds in row-major order, like np.nonzero, so components come out in judge.py's order.
        for (var seed = 0; seed < labels.Length; seed++)
        {
            if (labels[seed] == background || component[seed] != 0)
            {
                continue;
            }

            component[seed] = ++id;
            queue.Enqueue(seed);
            points.Clear();
            while (queue.Count > 0)
            {
                var p = queue.Dequeue();
                points.Add(p);
                int y = p / width, x = p % width;
                Visit(y + 1, x);
                Visit(y - 1, x);
                Visit(y, x + 1);
                Visit(y, x - 1);
            }

            if (points.Count >= MinArea)
            {
                objects.Add(Describe(points, labels, width));
            }

            void Visit(int y, int x)
            {
                if (y < 0 || y >= height || x < 0 || x >= width)
                {
                    return;
                }

                var q = (y * width) + x;
                if (labels[q] != background && component[q] == 0)
                {
                    component[q] = id;
                    queue.Enqueue(q);
                }
            }
        }

        return (Palette[background].Name, objects);
    }

    public static JudgeVerdict Check(ReadOnlySpan<byte> rgb, int width, int height, HeldoutRecord record)
    {
        var (background, found) = Analyze(rgb, width, height);
        var expected = record.Objects;
        var matched = new FoundObject?[expected.Count];
        if (found.Count > 0)
        {
            foreach (var (f, e) in BestAssignment(found, expected))
            {
                matched[e] = found[f];
            }
        }

        bool colour = true, shape = true, position = true;
        for (var i = 0; i < expected.Count; i++)
        {
            if (matched[i] is not { } f)
            {
                colour = shape = position = false;
                continue;
            }

            var e = expected[i];
            colour &= f.Colour == e.Colour;
            shape &= f.Shape == e.Shape;
            position &= Math.Sqrt(Square(f.CentroidX - e.CentroidX) + Square(f.CentroidY - e.CentroidY)) <= PositionTolerance;
        }

        return new JudgeVerdict(colour, background == record.BackgroundColour, position, found.Count == expected.Count, shape);
    }

    /// <summary>Scores for every prompt ("all") and per kind, keyed like judge.summarize; kinds without prompts are left out.</summary>
    public static IReadOnlyDictionary<string, JudgeScores> Summarize(IReadOnlyList<(HeldoutRecord Record, JudgeVerdict Verdict)> results)
    {
        var groups = new Dictionary<string, JudgeScores>();
        Add("all", results.Select(r => r.Verdict).ToList());
        foreach (var kind in Kinds)
        {
            Add(kind, results.Where(r => r.Record.Kind == kind).Select(r => r.Verdict).ToList());
        }

        return groups;

        void Add(string name, List<JudgeVerdict> verdicts)
        {
            if (verdicts.Count == 0)
            {
                return;
            }

            double Percent(Func<JudgeVerdict, bool> criterion) =>
                Math.Round(100.0 * verdicts.Count(criterion) / verdicts.Count, 1, MidpointRounding.ToEven);

            groups[name] = new JudgeScores(verdicts.Count, Percent(v => v.Colour), Percent(v => v.Background), Percent(v => v.Position),
                Percent(v => v.Count), Percent(v => v.Shape), Percent(v => v.All));
        }
    }

    private static FoundObject Describe(List<int> points, int[] labels, int width)
    {
        int minX = int.MaxValue, minY = int.MaxValue, maxX = int.MinValue, maxY = int.MinValue;
        long sumX = 0, sumY = 0;
        var histogram = new int[Palette.Length];
        foreach (var p in points)
        {
            int y = p / width, x = p % width;
            minX = Math.Min(minX, x);
            maxX = Math.Max(maxX, x);
            minY = Math.Min(minY, y);
            maxY = Math.Max(maxY, y);
            sumX += x;
            sumY += y;
            histogram[labels[p]]++;
        }

        var fill = points.Count / (double)((maxY - minY + 1) * (maxX - minX + 1));
        var shape = fill >= SquareFill ? "square" : fill >= CircleFill ? "circle" : "triangle";
        return new FoundObject(Palette[ArgMax(histogram)].Name, shape, ((double)sumX / points.Count) + 0.5, ((double)sumY / points.Count) + 0.5,
            points.Count, fill);
    }

    /// <summary>
    /// judge.py's exhaustive search: every ordered choice of min(found, expected) found objects against every increasing
    /// choice of as many expected objects, in itertools order, keeping the first assignment with the least total
    /// squared centroid distance. Scenes hold at most three objects, so this stays small.
    /// </summary>
    private static List<(int Found, int Expected)> BestAssignment(IReadOnlyList<FoundObject> found, IReadOnlyList<ExpectedObject> expected)
    {
        var n = Math.Min(found.Count, expected.Count);
        double? bestCost = null;
        var best = new List<(int, int)>();
        var combinations = Combinations(expected.Count, n).ToList();
        foreach (var permutation in Permutations(found.Count, n))
        {
            foreach (var subset in combinations)
            {
                var cost = 0.0;
                for (var k = 0; k < n; k++)
                {
                    cost += Square(found[permutation[k]].CentroidX - expected[subset[k]].CentroidX)
                        + Square(found[permutation[k]].CentroidY - expected[subset[k]].CentroidY);
                }

                if (bestCost is null || cost < bestCost)
                {
                    bestCost = cost;
                    best = [.. permutation.Zip(subset)];
                }
            }
        }

        return best;
    }

    // itertools.permutations(range(count), length), in its lexicographic order.
    private static IEnumerable<int[]> Permutations(int count, int length)
    {
        var current = new int[length];
        var used = new bool[count];
        return Recurse(0);

        IEnumerable<int[]> Recurse(int position)
        {
            if (position == length)
            {
                yield return (int[])current.Clone();
                yield break;
            }

            for (var i = 0; i < count; i++)
            {
                if (used[i])
                {
                    continue;
                }

                used[i] = true;
                current[position] = i;
                foreach (var p in Recurse(position + 1))
                {
                    yield return p;
                }

                used[i] = false;
            }
        }
    }

    // itertools.combinations(range(count), length), in its lexicographic order.
    private static IEnumerable<int[]> Combinations(int count, int length)
    {
        var current = new int[length];
        return Recurse(0, 0);

        IEnumerable<int[]> Recurse(int position, int start)
        {
            if (position == length)
            {
                yield return (int[])current.Clone();
                yield break;
            }

            for (var i = start; i < count; i++)
            {
                current[position] = i;
                foreach (var c in Recurse(position + 1, i + 1))
                {
                    yield return c;
                }
            }
        }
    }

    private static int ArgMax(int[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static double Square(double v) => v * v;
}
