using NitroLive.Cli.Commands;

// One line per command; each command parses its own options and returns the process exit code.
return args.FirstOrDefault() switch
{
    "schedule" => ScheduleCommand.Run(args[1..], Console.Out, Console.Error),
    "bench" => await BenchCommand.RunAsync(args[1..], Console.Out, Console.Error, CancellationToken.None),
    _ => Usage(args.FirstOrDefault()),
};

static int Usage(string? command)
{
    if (command is not null)
    {
        Console.Error.WriteLine($"Unknown command '{command}'.");
    }

    Console.Error.WriteLine("""
        Usage: nitrolive <command> [options]

        Commands:
          schedule    Print NitroFusion's LCM schedule and per-step scalars as JSON.
          bench       Measure the pipeline or a live server (pipeline, live); prints JSON.

        Run 'nitrolive <command> --help' for a command's options.
        """);
    return 2;
}
