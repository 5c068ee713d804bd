using System.Text.Json.Nodes;

namespace NitroLive.Testing;

/// <summary>
/// A temporary folder laid out like the NitroFusion export's output: <c>nitrosd-realism/</c> and <c>nitrosd-vibrant/</c>,
/// two copies of one model folder whose nitrolive.json differ as the export's do (variant, display name, embedded_demo false,
/// shifted_timestep 250 vs 500, so the same prompt and seed give different pictures; each its own first example prompt).
/// Shared by the Core and Web tests.
/// </summary>
internal sealed class TwoVariantModelFolder : IDisposable
{
    private TwoVariantModelFolder(string directory) => Directory = directory;

    /// <summary>The parent folder, what <c>NitroLive:Model:Directory</c> names.</summary>
    public string Directory { get; }

    public string Realism => Path.Combine(Directory, "nitrosd-realism");

    public string Vibrant => Path.Combine(Directory, "nitrosd-vibrant");

    public static TwoVariantModelFolder Create(string sourceModel)
    {
        var folder = new TwoVariantModelFolder(System.IO.Directory.CreateTempSubdirectory("nitrolive-variants-").FullName);
        AddVariant(sourceModel, folder.Realism, "realism", "NitroSD-Realism", 250);
        AddVariant(sourceModel, folder.Vibrant, "vibrant", "NitroSD-Vibrant", 500);
        return folder;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private static void AddVariant(string source, string target, string variant, string displayName, int shiftedTimestep)
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        var manifestPath = Path.Combine(target, "nitrolive.json");
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        manifest["variant"] = variant;
        manifest["display_name"] = displayName;
        manifest["shifted_timestep"] = shiftedTimestep;
        manifest["embedded_demo"] = false;
        manifest["example_prompts"] = new JsonArray($"a {variant} example", "a red circle on a blue background");
        File.WriteAllText(manifestPath, manifest.ToJsonString());
    }
}
