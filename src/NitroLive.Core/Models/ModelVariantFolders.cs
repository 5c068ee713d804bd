namespace NitroLive.Core.Models;

/// <summary>
/// Tells a model folder from a folder of model folders (what the NitroFusion export writes: <c>nitrosd-realism/</c> and
/// <c>nitrosd-vibrant/</c> side by side), so one configured path can offer every variant the export made.
/// </summary>
public static class ModelVariantFolders
{
    /// <summary>
    /// The model folders below <paramref name="directory"/>: the folder itself when it has a <c>nitrolive.json</c> (or
    /// looks like a model folder, so that its own problems are reported file by file), else each immediate subfolder
    /// that has one, in ordinal order of the folder names (the first is the default variant). A missing folder is
    /// returned as is: loading it reports "model folder not found".
    /// </summary>
    /// <exception cref="ModelValidationException">The folder is neither a model folder nor a parent of one.</exception>
    public static IReadOnlyList<string> Find(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full) || File.Exists(Path.Combine(full, ModelFolder.ManifestPath)) || File.Exists(Path.Combine(full, ModelFolder.ModelIndexPath)))
        {
            return [full];
        }

        var variants = Directory.EnumerateDirectories(full)
            .Where(d => File.Exists(Path.Combine(d, ModelFolder.ManifestPath)))
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (variants.Length == 0)
        {
            throw new ModelValidationException(full, [new ModelProblem(ModelFolder.ManifestPath, null,
                "file not found here nor in any subfolder: expected a model folder, or a folder of model folders " +
                "(as the export writes nitrosd-realism/ and nitrosd-vibrant/), each with its nitrolive.json")]);
        }

        return variants;
    }
}
