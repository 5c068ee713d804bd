namespace NitroLive.Core.Pipeline;

/// <summary>Disposal of the generators a composite generator (<see cref="VariantGenerator"/>, <see cref="GeneratorPool"/>) owns.</summary>
internal static class OwnedGenerators
{
    public static void DisposeAll(IEnumerable<IImageGenerator> generators)
    {
        foreach (var generator in generators)
        {
            (generator as IDisposable)?.Dispose();
        }
    }
}
