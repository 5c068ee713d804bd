using System.Text.Json;
using NitroLive.Cli.Commands;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace NitroLive.Core.Tests.Pipeline;

public sealed class GenerateCommandTests(EmbeddedPipelineFixture fixture) : IClassFixture<EmbeddedPipelineFixture>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly string _out = Path.Combine(Path.GetTempPath(), "nitrolive-generate-" + Guid.NewGuid().ToString("N"), "image.png");

    public void Dispose()
    {
        if (Directory.Exists(Path.GetDirectoryName(_out)))
        {
            Directory.Delete(Path.GetDirectoryName(_out)!, recursive: true);
        }
    }

    [Fact]
    public async Task GenerateWritesAPngAndPrintsItsTimingsAsOneJsonObject()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await GenerateCommand.RunAsync(
            ["--model", fixture.ModelDirectory, "--prompt", "a red circle", "--steps", "2", "--seed", "5", "--out", _out, "--provider", "cpu"],
            stdout, stderr, CancellationToken.None).WaitAsync(Timeout);

        Assert.True(code == 0, stderr.ToString());
        var line = Assert.Single(stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal(
            ["prompt", "seed", "steps", "width", "height", "provider", "tokenize_ms", "text_encode_ms", "text_cache_hit", "unet_ms", "decode_ms", "total_ms", "out"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("a red circle", root.GetProperty("prompt").GetString());
        Assert.Equal(5, root.GetProperty("seed").GetInt64());
        Assert.Equal(2, root.GetProperty("unet_ms").GetArrayLength());
        Assert.Equal("CPU", root.GetProperty("provider").GetString());
        Assert.False(root.GetProperty("text_cache_hit").GetBoolean());
        Assert.Equal(_out, root.GetProperty("out").GetString());

        using var image = Image.Load<Rgb24>(_out);
        Assert.Equal(root.GetProperty("width").GetInt32(), image.Width);
        Assert.Equal(root.GetProperty("height").GetInt32(), image.Height);
    }

    [Fact]
    public async Task ABrokenModelFolderListsEveryProblemOnStderr()
    {
        var stderr = new StringWriter();

        var code = await GenerateCommand.RunAsync(["--model", Path.GetDirectoryName(_out)!, "--prompt", "x"], new StringWriter(), stderr, CancellationToken.None)
            .WaitAsync(Timeout);

        Assert.Equal(1, code);
        Assert.Contains("model folder not found", stderr.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--steps", "2" }, "--prompt is required")]
    [InlineData(new[] { "--prompt", "x", "--steps", "two" }, "--steps has an invalid value 'two'")]
    [InlineData(new[] { "--prompt", "x", "--width", "128" }, "--width and --height go together")]
    [InlineData(new[] { "--prompt", "x", "--provider", "tpu" }, "--provider has an invalid value 'tpu'")]
    [InlineData(new[] { "--prompt", "x", "--colour", "red" }, "unknown option '--colour'")]
    public async Task BadArgumentsAreAUsageError(string[] args, string message)
    {
        var stderr = new StringWriter();

        var code = await GenerateCommand.RunAsync(args, new StringWriter(), stderr, CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(2, code);
        Assert.StartsWith("nitrolive generate: " + message, stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnsupportedStepsAreAUsageErrorNamingWhatIsSupported()
    {
        var stderr = new StringWriter();

        var code = await GenerateCommand.RunAsync(["--model", fixture.ModelDirectory, "--prompt", "x", "--steps", "9", "--out", _out, "--provider", "cpu"],
            new StringWriter(), stderr, CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(2, code);
        Assert.Contains("9 steps are not supported", stderr.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(_out));
    }
}
