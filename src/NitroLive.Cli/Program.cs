using NitroLive.Cli.Commands;

// One line per command; each command declares its options (CommandLine/CommandSyntax) and returns the process exit code.
// stdout carries each command's result (JSON or a report); logs go to stderr.
return args.FirstOrDefault() switch
{
    "generate" => await GenerateCommand.RunAsync(args[1..]),
    "verify-model" => VerifyModelCommand.Run(args[1..]),
    "schedule" => ScheduleCommand.Run(args[1..], Console.Out, Console.Error),
    "tokenize" => TokenizeCommand.Run(args[1..], Console.Out, Console.Error),
    "eval-model" => await EvalModelCommand.RunAsync(args[1..], Console.Out, Console.Error, CancellationToken.None),
    "eval-transitions" => await EvalTransitionsCommand.RunAsync(args[1..], Console.Out, Console.Error, CancellationToken.None),
    "bench" => await BenchCommand.RunAsync(args[1..], Console.Out, Console.Error, CancellationToken.None),
    "-h" or "--help" or "help" => Usage(null, exitCode: 0),
    _ => Usage(args.FirstOrDefault()),
};

static int Usage(string? command, int exitCode = 2)
{
    if (command is not null)
    {
        Console.Error.WriteLine($"Unknown command '{command}'.");
    }

    // Asked for, the usage is the result (stdout); after a mistake it is part of the complaint (stderr).
    var writer = exitCode == 0 ? Console.Out : Console.Error;
    writer.WriteLine("""
        Usage: nitrolive <command> [options]

        Commands:
          generate      Generate one image to a PNG; print its timings as JSON.
                        --prompt TEXT [--model DIR] [--steps 1-4] [--seed N] [--width W --height H]
                        [--out FILE.png] [--provider auto|cpu|cuda] [--tiny-decoder]
          verify-model  Check a model folder; list its files and tensors, or every problem.
                        DIR [--provider auto|cpu|cuda] [--no-load]
          schedule      Print NitroFusion's LCM schedule and per-step scalars as JSON.
                        --shifted-timestep S --steps N [--original-steps 4]
          tokenize      Print the 77 CLIP ids of a prompt (or the raw BPE ids) as a JSON array.
                        --tokenizer DIR [--raw] TEXT
          eval-model    Generate the held-out prompts and judge them (accuracy overall and per kind); JSON.
                        [--model DIR] [--heldout FILE] [--steps N] [--seed N] [--limit N] [--kind K] [--markdown]
          eval-transitions  Type the bench prompts with prompt embeddings blended between keystrokes; JSON of
                        frame-to-frame change and final-frame error per weight. [--model DIR] [--weights PCT,...]
          bench         Measure the pipeline (per-stage timings) or a live server (typists over /hubs/live); JSON.
                        pipeline [--model DIR] [--steps N] [--size WxH] [--runs N] [--warmup N]
                        live --url URL [--clients N] [--duration S] [--cadence-ms MS] [--mode latest|fifo|both]
                        graph-cancel [--model DIR] [--size WxH] [--batch N]: cancels during the CUDA-graph capture

        Run 'nitrolive <command> --help' for a command's options.
        """);
    return exitCode;
}
