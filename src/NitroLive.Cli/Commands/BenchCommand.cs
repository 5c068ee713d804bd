namespace NitroLive.Cli.Commands;

/// <summary><c>nitrolive bench pipeline|live|graph-cancel ...</c>: measurements printed as one JSON object on stdout.</summary>
internal static class BenchCommand
{
    // Each benchmark's own usage line, so this list cannot fall behind their options.
    private static readonly string UsageText =
        $"usage: nitrolive bench pipeline|live|graph-cancel [options]\n{BenchPipelineCommand.UsageLine}\n{BenchLiveCommand.UsageLine}\n{BenchGraphCancelCommand.UsageLine}";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        switch (args.FirstOrDefault())
        {
            case "pipeline":
                return await BenchPipelineCommand.RunAsync(args[1..], output, error, cancellationToken);
            case "live":
                return await BenchLiveCommand.RunAsync(args[1..], output, error, cancellationToken);
            case "graph-cancel":
                return await BenchGraphCancelCommand.RunAsync(args[1..], output, error, cancellationToken);
            case "-h" or "--help":
                await output.WriteLineAsync(UsageText);
                return 0;
            case null:
                await error.WriteLineAsync(UsageText);
                return 2;
            default:
                await error.WriteLineAsync($"nitrolive bench: unknown benchmark '{args[0]}'.\n{UsageText}");
                return 2;
        }
    }
}
