using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.Pipeline;

/// <summary>When two component folders count as the same files, so that their variants may share one session.</summary>
public sealed class SharedSessionsTests : IDisposable
{
    // Over a megabyte, so that a difference in the last byte lies beyond the first comparison buffer.
    private const int WeightsLength = (1 << 20) + 4097;

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("nitrolive-shared-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void CopiesWithTheSameNamesAndBytesAreTheSameFiles()
    {
        var first = Component("a");
        var second = Component("b");

        Assert.True(SharedSessions.SameFiles(first, second));
        Assert.True(SharedSessions.SameFiles(first, first));
    }

    [Fact]
    public void OneDifferentByteAtTheEndOfTheWeightsMakesThemDifferent()
    {
        var first = Component("a");
        var second = Component("b", weights =>
        {
            weights[^1] ^= 1;
            return weights;
        });

        Assert.False(SharedSessions.SameFiles(first, second));
    }

    [Fact]
    public void ADifferentLengthOrAnExtraOrRenamedFileMakesThemDifferent()
    {
        var first = Component("a");

        Assert.False(SharedSessions.SameFiles(first, Component("shorter", weights => weights[..^1])));

        var extra = Component("extra");
        File.WriteAllText(Path.Combine(extra, "notes.txt"), "x");
        Assert.False(SharedSessions.SameFiles(first, extra));

        var renamed = Component("renamed");
        File.Move(Path.Combine(renamed, "model.onnx_data"), Path.Combine(renamed, "weights.bin"));
        Assert.False(SharedSessions.SameFiles(first, renamed));
    }

    private string Component(string name, Func<byte[], byte[]>? change = null)
    {
        var directory = Path.Combine(_root.FullName, name, "text_encoder");
        Directory.CreateDirectory(directory);
        var weights = new byte[WeightsLength];
        new Random(7).NextBytes(weights);
        weights = change?.Invoke(weights) ?? weights;

        File.WriteAllBytes(Path.Combine(directory, "model.onnx"), [8, 7, 18, 4]);
        File.WriteAllBytes(Path.Combine(directory, "model.onnx_data"), weights);
        return directory;
    }
}
