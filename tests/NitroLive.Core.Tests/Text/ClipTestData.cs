using System.Text.Json;

namespace NitroLive.Core.Tests.Text;

/// <summary>Finds the shared CLIP data (repo/../shared/clip) and lays out temporary tokenizer folders from it.</summary>
internal static class ClipTestData
{
    private static readonly Lazy<string> ClipDirectory = new(FindClipDirectory);
    private static readonly Lazy<Dictionary<string, int>> SharedVocabulary = new(() =>
        JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(ClipDir, "vocab.json")))!);

    internal static string ClipDir => ClipDirectory.Value;

    /// <summary>The id of a vocabulary entry, e.g. "cat&lt;/w&gt;"; throws when the entry does not exist.</summary>
    internal static int Id(string token) =>
        SharedVocabulary.Value.TryGetValue(token, out int id)
            ? id
            : throw new KeyNotFoundException($"'{token}' is not in the shared vocab.json.");

    internal static int[] Ids(params string[] tokens) => tokens.Select(Id).ToArray();

    /// <summary>
    /// A tokenizer folder like SDXL's: the shared vocab and merges plus the given special-token files.
    /// Copied into a temp folder because shared/ is read-only and must not be committed.
    /// </summary>
    internal static string CreateTokenizerFolder(string specialTokensMapJson, string tokenizerConfigJson)
    {
        string dir = Directory.CreateTempSubdirectory("nitrolive-clip-").FullName;
        File.Copy(Path.Combine(ClipDir, "vocab.json"), Path.Combine(dir, "vocab.json"));
        File.Copy(Path.Combine(ClipDir, "merges.txt"), Path.Combine(dir, "merges.txt"));
        File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"), specialTokensMapJson);
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), tokenizerConfigJson);
        return dir;
    }

    private static string FindClipDirectory()
    {
        string? overridden = Environment.GetEnvironmentVariable("NITROLIVE_SHARED");
        if (!string.IsNullOrEmpty(overridden))
        {
            return RequireClip(Path.GetFullPath(overridden), "NITROLIVE_SHARED");
        }

        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NitroLive.sln")))
        {
            dir = dir.Parent;
        }

        if (dir is null)
        {
            throw new InvalidOperationException($"NitroLive.sln not found above {AppContext.BaseDirectory}; cannot locate ../shared.");
        }

        string shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
        if (!Directory.Exists(shared))
        {
            // A git worktree lives away from the main clone; its shared/ sits beside the main clone.
            string gitFile = Path.Combine(dir.FullName, ".git");
            if (File.Exists(gitFile) && File.ReadAllText(gitFile).Trim() is var line && line.StartsWith("gitdir:", StringComparison.Ordinal))
            {
                string gitDir = line["gitdir:".Length..].Trim();
                int index = gitDir.IndexOf("/.git/", StringComparison.Ordinal);
                if (index > 0)
                {
                    shared = Path.GetFullPath(Path.Combine(gitDir[..index], "..", "shared"));
                }
            }
        }

        return RequireClip(shared, "the repository's ../shared");
    }

    private static string RequireClip(string shared, string origin)
    {
        string clip = Path.Combine(shared, "clip");
        if (!File.Exists(Path.Combine(clip, "vocab.json")) || !File.Exists(Path.Combine(clip, "merges.txt")))
        {
            throw new InvalidOperationException(
                $"The CLIP test data is missing: expected vocab.json and merges.txt in {clip} ({origin}). " +
                "CI places shared/ beside the clone; locally, set NITROLIVE_SHARED to the shared folder.");
        }

        return clip;
    }
}

/// <summary>Test classes that share one <see cref="SdxlTokenizersFixture"/> (loading the 49k-entry vocabulary once).</summary>
[CollectionDefinition(Name)]
public sealed class SdxlTokenizersGroup : ICollectionFixture<SdxlTokenizersFixture>
{
    public const string Name = "SDXL tokenizers";
}

/// <summary>The two SDXL tokenizers over the shared vocabulary.</summary>
public sealed class SdxlTokenizersFixture : IDisposable
{
    private readonly List<string> _folders = [];

    public SdxlTokenizersFixture()
    {
        // stabilityai/stable-diffusion-xl-base-1.0 tokenizer/: pad = <|endoftext|>, objects with "content".
        TokenizerFolder = Track(ClipTestData.CreateTokenizerFolder(
            """
            {
              "bos_token": { "content": "<|startoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false },
              "eos_token": { "content": "<|endoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false },
              "pad_token": "<|endoftext|>",
              "unk_token": { "content": "<|endoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false }
            }
            """,
            """
            { "add_prefix_space": false, "do_lower_case": true, "errors": "replace", "model_max_length": 77,
              "pad_token": "<|endoftext|>", "tokenizer_class": "CLIPTokenizer" }
            """));

        // tokenizer_2/: pad = "!" (id 0).
        Tokenizer2Folder = Track(ClipTestData.CreateTokenizerFolder(
            """
            { "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "!", "unk_token": "<|endoftext|>" }
            """,
            """
            { "model_max_length": 77, "pad_token": "!", "tokenizer_class": "CLIPTokenizer" }
            """));

        Tokenizer = NitroLive.Core.Text.ClipTokenizer.Load(TokenizerFolder);
        Tokenizer2 = NitroLive.Core.Text.ClipTokenizer.Load(Tokenizer2Folder);
    }

    public string TokenizerFolder { get; }

    public string Tokenizer2Folder { get; }

    public NitroLive.Core.Text.ClipTokenizer Tokenizer { get; }

    public NitroLive.Core.Text.ClipTokenizer Tokenizer2 { get; }

    public void Dispose()
    {
        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private string Track(string folder)
    {
        _folders.Add(folder);
        return folder;
    }
}
