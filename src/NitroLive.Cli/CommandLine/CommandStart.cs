using System.Diagnostics.CodeAnalysis;

namespace NitroLive.Cli.CommandLine;

/// <summary>Reads a command's arguments into its settings; on failure <paramref name="error"/> says what is wrong.</summary>
internal delegate bool ArgumentParser<T>(string[] args, out T parsed, [NotNullWhen(false)] out string? error);

/// <summary>
/// The start every command shares, so that all of them answer alike: <c>--help</c> or <c>-h</c> alone prints the usage
/// line on stdout (exit 0); arguments that do not parse print "nitrolive COMMAND: problem" and the usage line on stderr
/// (exit 2).
/// </summary>
internal static class CommandStart
{
    /// <summary>True when the command should go on with <paramref name="parsed"/>; otherwise it returns <paramref name="exitCode"/>.</summary>
    public static bool TryParse<T>(
        string command, string usageLine, string[] args, ArgumentParser<T> parse, TextWriter output, TextWriter error,
        out T parsed, out int exitCode)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(output);
        if (args is ["--help"] or ["-h"])
        {
            output.WriteLine(usageLine);
            parsed = default!;
            exitCode = 0;
            return false;
        }

        if (!parse(args, out parsed, out var problem))
        {
            exitCode = Refuse(error, command, problem, usageLine);
            return false;
        }

        exitCode = 0;
        return true;
    }

    /// <summary>Reports arguments the command cannot use (also ones found wrong after parsing) and returns exit code 2.</summary>
    public static int Refuse(TextWriter error, string command, string problem, string usageLine)
    {
        ArgumentNullException.ThrowIfNull(error);
        error.WriteLine($"nitrolive {command}: {problem}");
        error.WriteLine(usageLine);
        return 2;
    }
}
