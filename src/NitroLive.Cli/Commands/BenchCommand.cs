namespace NitroLive.Cli.Commands;

/// <summary><c>nitrolive bench pipeline|live ...</c>: measurements printed as one JSON object on stdout.</summary>
internal static class BenchCommand
{
    private const string UsageText = """
        usage: nitrolive bench <what> [options]
          pipeline  [--model DIR] [--steps N] [--size WxH] [--runs N] [--warmup N] [--prompts hit|miss|both]
                    [--provider auto|cpu|cuda] [--threads N] [--tiny-decoder]
          live      --url URL [--clients N] [--duration S] [--cadence-ms MS] [--mode latest|fifo|both] [--pause-ms MS]
                    [--frame-timeout-s S] [--protocol messagepack|json] [--allow-remote]
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        switch (args.FirstOrDefault())
        {
            case "pipeline":
                return await BenchPipelineCommand.RunAsync(args[1..], output, error, cancellationToken);
            case "live":
                return await BenchLiveCommand.RunAsync(args[1..], output, error, cancellationToken);
            case null or "-h" or "--help":
                await error.WriteLineAsync(UsageText);
                return args.Length == 0 ? 2 : 0;
            default:
                await error.WriteLineAsync($"nitrolive bench: unknown benchmark '{args[0]}'.\n{UsageText}");
                return 2;
        }
    }
}
