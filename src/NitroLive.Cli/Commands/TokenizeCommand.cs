using System.Runtime.CompilerServices;
using NitroLive.Cli.CommandLine;
using NitroLive.Core.Text;

[assembly: InternalsVisibleTo("NitroLive.Core.Tests")]

namespace NitroLive.Cli.Commands;

/// <summary><c>nitrolive tokenize --tokenizer DIR [--raw] TEXT</c>: prints the CLIP token ids as a JSON array.</summary>
internal static class TokenizeCommand
{
    internal const string UsageLine = "usage: tokenize --tokenizer DIR [--raw] TEXT   print the 77 CLIP ids (or the raw BPE ids) as JSON";

    private static readonly CliOption<string?> Tokenizer = CliOptions.Text("--tokenizer", "a CLIP tokenizer folder");
    private static readonly CliOption Raw = CliOptions.Flag("--raw");
    private static readonly CommandSyntax Syntax = new(Tokenizer, Raw) { MaxPositionals = int.MaxValue, DoubleDashEndsOptions = true };

    internal static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (!CommandStart.TryParse<ParsedCommandLine?>("tokenize", UsageLine, args, Syntax.TryParse, output, error, out var options, out var exitCode))
        {
            return exitCode;
        }

        // Loose words are one prompt; after "--" everything is the prompt, even text that starts with "--".
        var words = options!.AfterDoubleDash ?? options.Positionals;
        var directory = options.Get(Tokenizer);
        var text = options.AfterDoubleDash is null && words.Count == 0 ? null : string.Join(' ', words);
        if (string.IsNullOrWhiteSpace(directory) || text is null)
        {
            return CommandStart.Refuse(error, "tokenize", "both --tokenizer DIR and TEXT are required", UsageLine);
        }

        var raw = options.Has(Raw);
        ClipTokenizer tokenizer;
        try
        {
            tokenizer = ClipTokenizer.Load(directory);
        }
        catch (TokenizerLoadException ex)
        {
            error.WriteLine($"nitrolive tokenize: {ex.Message}");
            return 1;
        }

        IEnumerable<long> ids = raw ? tokenizer.EncodeRaw(text).Select(static id => (long)id) : tokenizer.Encode(text);
        output.WriteLine("[" + string.Join(",", ids) + "]");
        return 0;
    }
}
