using NitroLive.Cli.Commands;

// stdout carries each command's result (JSON or a report); logs go to stderr.
return args.Length == 0 ? Usage() : args[0] switch
{
    "generate" => await GenerateCommand.RunAsync(args[1..]),
    "verify-model" => VerifyModelCommand.Run(args[1..]),
    "-h" or "--help" or "help" => Usage(),
    _ => Usage($"unknown command '{args[0]}'"),
};

static int Usage(string? error = null)
{
    if (error is not null)
    {
        Console.Error.WriteLine($"nitrolive: {error}");
    }

    Console.Error.WriteLine("""
        usage: nitrolive <command> [options]
          generate      --prompt TEXT [--model DIR] [--steps 1-4] [--seed N] [--width W --height H]
                        [--out FILE.png] [--provider auto|cpu|cuda] [--tiny-decoder]
          verify-model  DIR [--provider auto|cpu|cuda] [--no-load]
        """);
    return error is null ? 0 : 2;
}
