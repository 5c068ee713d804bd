using System.Diagnostics.CodeAnalysis;

namespace NitroLive.Cli.CommandLine;

/// <summary>
/// The options (and loose arguments) one command accepts, and the parser every command shares. An argument that names a
/// declared option is that option; any other argument starting with "--" is an unknown option; the rest are positional.
/// A value is the next argument whatever it looks like, so <c>--prompt --raw</c> is the prompt "--raw". When an option is
/// given twice the last one counts.
/// </summary>
internal sealed class CommandSyntax
{
    private readonly Dictionary<string, CliOption> _options = new(StringComparer.Ordinal);

    public CommandSyntax(params IEnumerable<CliOption> options)
    {
        foreach (var option in options)
        {
            if (!_options.TryAdd(option.Name, option))
            {
                throw new ArgumentException($"{option.Name} is declared twice.", nameof(options));
            }
        }
    }

    /// <summary>How many positional arguments the command takes (default none).</summary>
    public int MaxPositionals { get; init; }

    /// <summary>Whether "--" ends the options: everything after it is <see cref="ParsedCommandLine.AfterDoubleDash"/>.</summary>
    public bool DoubleDashEndsOptions { get; init; }

    /// <summary>Arguments that ask for help where an option may stand; parsing stops there (<see cref="ParsedCommandLine.IsHelp"/>).</summary>
    public IReadOnlyCollection<string> HelpNames { get; init; } = [];

    /// <summary>Parses <paramref name="args"/>; on failure <paramref name="error"/> names the argument and what was expected.</summary>
    public bool TryParse(IReadOnlyList<string> args, [NotNullWhen(true)] out ParsedCommandLine? parsed, [NotNullWhen(false)] out string? error)
    {
        parsed = null;
        var values = new Dictionary<CliOption, object?>();
        var positionals = new List<string>();
        IReadOnlyList<string>? afterDoubleDash = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (HelpNames.Contains(arg))
            {
                parsed = new ParsedCommandLine(values, positionals, afterDoubleDash: null, isHelp: true);
                error = null;
                return true;
            }

            if (DoubleDashEndsOptions && arg == "--")
            {
                afterDoubleDash = [.. args.Skip(i + 1)];
                break;
            }

            if (_options.TryGetValue(arg, out var option))
            {
                if (option.IsFlag)
                {
                    values[option] = true;
                    continue;
                }

                if (i + 1 >= args.Count)
                {
                    error = $"{arg} needs a value ({option.Expected})";
                    return false;
                }

                var text = args[++i];
                if (!option.TryRead(text, out var value))
                {
                    error = $"{arg} has an invalid value '{text}': expected {option.Expected}";
                    return false;
                }

                values[option] = value;
            }
            else if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                error = $"unknown option '{arg}'";
                return false;
            }
            else if (positionals.Count < MaxPositionals)
            {
                positionals.Add(arg);
            }
            else
            {
                error = $"unexpected argument '{arg}'";
                return false;
            }
        }

        if (!CheckRequired(values, out error))
        {
            return false;
        }

        parsed = new ParsedCommandLine(values, positionals, afterDoubleDash, isHelp: false);
        return true;
    }

    private bool CheckRequired(Dictionary<CliOption, object?> values, [NotNullWhen(false)] out string? error)
    {
        error = _options.Values.FirstOrDefault(o => o.IsRequired && !values.ContainsKey(o)) is { } missing
            ? $"{missing.Name} is required ({missing.Expected})"
            : null;
        return error is null;
    }
}

/// <summary>What <see cref="CommandSyntax.TryParse"/> read.</summary>
internal sealed class ParsedCommandLine
{
    private readonly Dictionary<CliOption, object?> _values;

    internal ParsedCommandLine(Dictionary<CliOption, object?> values, IReadOnlyList<string> positionals, IReadOnlyList<string>? afterDoubleDash, bool isHelp)
    {
        _values = values;
        Positionals = positionals;
        AfterDoubleDash = afterDoubleDash;
        IsHelp = isHelp;
    }

    /// <summary>The positional arguments before any "--", in order.</summary>
    public IReadOnlyList<string> Positionals { get; }

    /// <summary>The arguments after "--" (possibly none), or null when there was no "--".</summary>
    public IReadOnlyList<string>? AfterDoubleDash { get; }

    /// <summary>A help argument was given; nothing after it was read.</summary>
    public bool IsHelp { get; }

    /// <summary>Whether the flag or option was given.</summary>
    public bool Has(CliOption option) => _values.ContainsKey(option);

    /// <summary>The option's value, or default (null for the nullable types the options use) when it was not given.</summary>
    public T? Get<T>(CliOption<T> option) => _values.TryGetValue(option, out var value) ? (T?)value : default;
}
