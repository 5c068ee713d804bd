using NitroLive.Cli.Commands;

namespace NitroLive.Core.Tests.Models;

/// <summary>Every command that loads a model lists a bad model folder's problems on stderr and exits 1.</summary>
public sealed class ModelFolderErrorsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _empty = Directory.CreateTempSubdirectory("nitrolive-empty-model-").FullName;

    public void Dispose() => Directory.Delete(_empty, recursive: true);

    public static TheoryData<string> Commands => ["generate", "eval-model", "bench pipeline"];

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task ABadModelFolderIsListedProblemByProblem(string command)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var heldout = Path.Combine(AppContext.BaseDirectory, "models", "nitro-tiny", "eval", "heldout.json");

        var code = await (command switch
        {
            "generate" => GenerateCommand.RunAsync(["--model", _empty, "--prompt", "x"], output, error, CancellationToken.None),
            "eval-model" => EvalModelCommand.RunAsync(["--model", _empty, "--heldout", heldout, "--limit", "1"], output, error, CancellationToken.None),
            _ => BenchPipelineCommand.RunAsync(["--model", _empty, "--runs", "1", "--warmup", "0"], output, error, CancellationToken.None),
        }).WaitAsync(Timeout);

        Assert.Equal(1, code);
        Assert.Empty(output.ToString());
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 2, error.ToString());
        Assert.Equal($"nitrolive {command}: the model folder '{Path.GetFullPath(_empty)}' is not valid:", lines[0]);
        Assert.All(lines[1..], line => Assert.StartsWith("  ", line, StringComparison.Ordinal));
    }
}
