using System.Runtime.CompilerServices;
using NitroLive.Core.Text;

[assembly: InternalsVisibleTo("NitroLive.Core.Tests")]

namespace NitroLive.Cli.Commands;

/// <summary><c>nitrolive tokenize --tokenizer DIR [--raw] TEXT</c>: prints the CLIP token ids as a JSON array.</summary>
internal static class TokenizeCommand
{
    internal const string Usage = "tokenize --tokenizer DIR [--raw] TEXT   print the 77 CLIP ids (or the raw BPE ids) as JSON";

    internal static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        string? directory = null;
        string? text = null;
        bool raw = false;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--tokenizer" when i + 1 < args.Count:
                    directory = args[++i];
                    break;
                case "--raw":
                    raw = true;
                    break;
                case "--":
                    // Everything after "--" is the prompt, even text that starts with "--".
                    text = string.Join(' ', args.Skip(i + 1));
                    i = args.Count;
                    break;
                case var arg when arg.StartsWith("--", StringComparison.Ordinal):
                    return Fail(error, $"unknown or incomplete option '{arg}'.");
                default:
                    text = text is null ? args[i] : text + " " + args[i];
                    break;
            }
        }

        if (directory is null || text is null)
        {
            return Fail(error, "both --tokenizer DIR and TEXT are required.");
        }

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

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine($"nitrolive tokenize: {message}");
        error.WriteLine($"usage: nitrolive {Usage}");
        return 2;
    }
}
