using NitroLive.Cli.Commands;

namespace NitroLive.Core.Tests.CommandLine;

/// <summary>Every command answers help and a mistyped option the same way (the top-level usage promises it).</summary>
public sealed class CommandStartTests
{
    public static TheoryData<string> Commands =>
        ["generate", "verify-model", "tokenize", "eval-model", "eval-transitions", "bench pipeline", "bench live"];

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task HelpPrintsTheUsageLineOnStandardOutputAndSucceeds(string command)
    {
        foreach (var help in new[] { "--help", "-h" })
        {
            var (code, output, error) = await RunAsync(command, [help]);

            Assert.Equal(0, code);
            Assert.StartsWith($"usage: {command} ", output, StringComparison.Ordinal);
            Assert.Equal(string.Empty, error);
        }
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task AnUnknownOptionIsNamedWithTheUsageLineOnStandardErrorAndExitCode2(string command)
    {
        var (code, output, error) = await RunAsync(command, ["--colour", "red"]);

        Assert.Equal(2, code);
        Assert.Equal(string.Empty, output);
        var lines = error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([$"nitrolive {command}: unknown option '--colour'", $"usage: {command} "], [lines[0], lines[1][..(command.Length + 8)]]);
    }

    [Fact]
    public async Task BenchHelpListsEachBenchmarksOwnUsageLine()
    {
        var (code, output, _) = await RunAsync("bench", ["--help"]);

        Assert.Equal(0, code);
        Assert.Contains(BenchPipelineCommand.UsageLine, output, StringComparison.Ordinal);
        Assert.Contains(BenchLiveCommand.UsageLine, output, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string command, string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = command switch
        {
            "generate" => await GenerateCommand.RunAsync(args, output, error, CancellationToken.None),
            "verify-model" => VerifyModelCommand.Run(args, output, error),
            "tokenize" => TokenizeCommand.Run(args, output, error),
            "eval-model" => await EvalModelCommand.RunAsync(args, output, error, CancellationToken.None),
            "eval-transitions" => await EvalTransitionsCommand.RunAsync(args, output, error, CancellationToken.None),
            _ => await BenchCommand.RunAsync([.. command.Split(' ').Skip(1), .. args], output, error, CancellationToken.None),
        };
        return (code, output.ToString(), error.ToString());
    }
}
