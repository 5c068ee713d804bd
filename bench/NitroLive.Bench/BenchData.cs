using System.Text.Json;
using NitroLive.Core.Text;

namespace NitroLive.Bench;

/// <summary>Inputs the benchmarks share: tokenizer folders, prompts and a deterministic test frame.</summary>
public static class BenchData
{
    /// <summary>A 20-word prompt in the style people type (SDXL prompts are comma-separated phrases).</summary>
    public const string TwentyWordPrompt =
        "a big red circle and two small yellow triangles on a dark blue background, soft light, sharp focus, highly detailed photo";

    /// <summary>
    /// Folders holding a Hugging Face CLIPTokenizer. The real CLIP ViT-L/14 tables live in the shared/ folder beside
    /// the repository (benchmark input, like test data: read at run time, never copied into the product); the
    /// embedded model's own tokenizer is used too when models/nitro-tiny exists.
    /// </summary>
    public static IEnumerable<string> TokenizerNames()
    {
        yield return "clip-vit-l14";
        if (EmbeddedTokenizerDirectory() is not null)
        {
            yield return "nitro-tiny";
        }
    }

    /// <summary>Loads the tokenizer named by <see cref="TokenizerNames"/>.</summary>
    public static ClipTokenizer LoadTokenizer(string name) => ClipTokenizer.Load(name switch
    {
        "nitro-tiny" => EmbeddedTokenizerDirectory() ?? throw new DirectoryNotFoundException("models/nitro-tiny/tokenizer not found."),
        _ => ClipTokenizerDirectory(),
    });

    /// <summary>The repository root: the first folder above the working directory that holds NitroLive.sln.</summary>
    public static string RepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "NitroLive.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException("Run the benchmarks from inside the repository (NitroLive.sln not found above it).");
    }

    private static string? EmbeddedTokenizerDirectory()
    {
        // NITROLIVE_MODEL_DIR points at another folder with the embedded model's layout.
        var model = Environment.GetEnvironmentVariable("NITROLIVE_MODEL_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(RepositoryRoot(), "models", "nitro-tiny");
        var directory = Path.Combine(model, "tokenizer");
        return File.Exists(Path.Combine(directory, "vocab.json")) ? directory : null;
    }

    // vocab.json and merges.txt come from shared/clip; the two small config files SDXL's `tokenizer` folder carries
    // are written beside links to them in a temporary folder, so nothing from shared/ is copied.
    private static string ClipTokenizerDirectory()
    {
        var shared = SharedClipDirectory();
        var directory = Path.Combine(Path.GetTempPath(), "nitrolive-bench-clip-tokenizer");
        Directory.CreateDirectory(directory);
        foreach (var file in new[] { "vocab.json", "merges.txt" })
        {
            var link = Path.Combine(directory, file);
            if (!File.Exists(link))
            {
                File.CreateSymbolicLink(link, Path.Combine(shared, file));
            }
        }

        File.WriteAllText(Path.Combine(directory, "special_tokens_map.json"), JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["bos_token"] = "<|startoftext|>",
            ["eos_token"] = "<|endoftext|>",
            ["pad_token"] = "<|endoftext|>",
            ["unk_token"] = "<|endoftext|>",
        }));
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), """{"model_max_length": 77}""");
        return directory;
    }

    private static string SharedClipDirectory()
    {
        var root = RepositoryRoot();
        var candidates = new List<string> { Path.GetFullPath(Path.Combine(root, "..", "shared", "clip")) };

        // A git worktree's shared/ sits beside the main checkout, found through the .git file's gitdir line.
        var gitFile = Path.Combine(root, ".git");
        if (File.Exists(gitFile))
        {
            var line = File.ReadAllText(gitFile).Trim();
            const string Prefix = "gitdir:";
            if (line.StartsWith(Prefix, StringComparison.Ordinal))
            {
                var gitDir = line[Prefix.Length..].Trim();
                var main = Path.GetFullPath(Path.Combine(gitDir, "..", "..", ".."));
                candidates.Add(Path.Combine(main, "..", "shared", "clip"));
            }
        }

        candidates.Add("/work/shared/clip");
        return candidates.Select(Path.GetFullPath).FirstOrDefault(c => File.Exists(Path.Combine(c, "vocab.json")))
            ?? throw new DirectoryNotFoundException($"CLIP tables (shared/clip/vocab.json) not found in {string.Join(" or ", candidates)}.");
    }

    /// <summary>
    /// A deterministic RGB24 frame that compresses like a generated image: smooth gradients, a few flat shapes with
    /// hard edges, and mild per-pixel noise (a flat or pure-noise image would flatter or punish the encoders).
    /// </summary>
    public static byte[] SyntheticFrame(int width, int height)
    {
        var rgb = new byte[width * height * 3];
        var random = new Random(1234);
        double cx = width * 0.35, cy = height * 0.45, r2 = Math.Pow(Math.Min(width, height) * 0.22, 2);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                double fx = (double)x / width, fy = (double)y / height;
                double red = 40 + (60 * fy), green = 60 + (80 * fx * fy), blue = 140 + (90 * (1 - fy));
                if (((x - cx) * (x - cx)) + ((y - cy) * (y - cy)) < r2)
                {
                    red = 210 - (40 * fy);
                    green = 40 + (20 * fx);
                    blue = 35;
                }
                else if (x > width * 0.6 && y > height * 0.55 && (x - (width * 0.6)) < (height - y) * 0.9)
                {
                    red = 230;
                    green = 200 + (20 * fx);
                    blue = 40;
                }

                var i = ((y * width) + x) * 3;
                var noise = random.Next(-6, 7);
                rgb[i] = (byte)Math.Clamp(red + noise + (8 * Math.Sin(x * 0.07)), 0, 255);
                rgb[i + 1] = (byte)Math.Clamp(green + noise, 0, 255);
                rgb[i + 2] = (byte)Math.Clamp(blue + noise + (6 * Math.Cos(y * 0.05)), 0, 255);
            }
        }

        return rgb;
    }
}
