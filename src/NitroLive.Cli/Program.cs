using NitroLive.Cli.Commands;

// One entry per command; each command parses its own arguments and returns the exit code.
return args.FirstOrDefault() switch
{
    "tokenize" => TokenizeCommand.Run(args[1..], Console.Out, Console.Error),
    _ => Usage(args.FirstOrDefault()),
};

static int Usage(string? command)
{
    if (command is not null and not ("-h" or "--help" or "help"))
    {
        Console.Error.WriteLine($"nitrolive: unknown command '{command}'.");
    }

    Console.Error.WriteLine("usage: nitrolive <command> [options]");
    Console.Error.WriteLine();
    Console.Error.WriteLine("commands:");
    Console.Error.WriteLine($"  {TokenizeCommand.Usage}");
    return 2;
}
