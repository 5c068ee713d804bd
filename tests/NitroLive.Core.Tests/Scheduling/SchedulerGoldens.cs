using System.Text.Json;

namespace NitroLive.Core.Tests.Scheduling;

/// <summary>Reads ../shared/reference/lcm_shift_goldens.public.json (the repository's sibling shared/ folder).</summary>
internal static class SchedulerGoldens
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(SharedDirectory(), "reference", "lcm_shift_goldens.public.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    /// <summary>
    /// The shared/ folder beside the repository root (CI's layout). In a git worktree the repository is the main
    /// checkout the worktree belongs to, so its sibling is tried as well.
    /// </summary>
    public static string SharedDirectory()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "NitroLive.sln")))
        {
            directory = directory.Parent;
        }

        if (directory is null)
        {
            throw new InvalidOperationException($"No NitroLive.sln above {AppContext.BaseDirectory}; cannot locate the repository root.");
        }

        var candidates = new List<string> { Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared")) };
        if (MainCheckoutOfWorktree(directory.FullName) is { } main)
        {
            candidates.Add(Path.GetFullPath(Path.Combine(main, "..", "shared")));
        }

        foreach (var candidate in candidates)
        {
            if (File.Exists(Path.Combine(candidate, "reference", "lcm_shift_goldens.public.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"Scheduler goldens (shared/reference/lcm_shift_goldens.public.json) not found in {string.Join(" or ", candidates)}. " +
            "The tests expect the shared/ folder beside the repository root.");
    }

    /// <summary>A worktree's .git is a file "gitdir: MAIN/.git/worktrees/NAME"; returns MAIN, or null.</summary>
    private static string? MainCheckoutOfWorktree(string repositoryRoot)
    {
        var gitFile = Path.Combine(repositoryRoot, ".git");
        if (!File.Exists(gitFile))
        {
            return null;
        }

        const string Prefix = "gitdir:";
        var line = File.ReadLines(gitFile).FirstOrDefault(l => l.StartsWith(Prefix, StringComparison.Ordinal));
        if (line is null)
        {
            return null;
        }

        var gitDirectory = new DirectoryInfo(Path.GetFullPath(line[Prefix.Length..].Trim(), repositoryRoot));
        // MAIN/.git/worktrees/NAME -> MAIN
        return gitDirectory.Parent?.Parent?.Parent?.FullName;
    }

    public static IEnumerable<JsonElement> Cases => Root.GetProperty("cases").EnumerateArray();

    public static JsonElement Case(int shift, int steps)
        => Cases.Single(c => c.GetProperty("shifted_timestep").GetInt32() == shift && c.GetProperty("num_inference_steps").GetInt32() == steps);

    public static TheoryData<int, int> CaseKeys()
    {
        var data = new TheoryData<int, int>();
        foreach (var c in Cases)
        {
            data.Add(c.GetProperty("shifted_timestep").GetInt32(), c.GetProperty("num_inference_steps").GetInt32());
        }

        return data;
    }

    public static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    /// <summary>Flattens a nested NCHW list in row-major order.</summary>
    public static double[] Tensor(JsonElement nested)
    {
        var result = new List<double>();
        Flatten(nested, result);
        return result.ToArray();
    }

    public static float[] TensorFloat32(JsonElement nested) => Tensor(nested).Select(v => (float)v).ToArray();

    private static void Flatten(JsonElement element, List<double> into)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Flatten(item, into);
            }
        }
        else
        {
            into.Add(element.GetDouble());
        }
    }
}
