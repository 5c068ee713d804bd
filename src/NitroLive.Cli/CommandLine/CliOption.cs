namespace NitroLive.Cli.CommandLine;

/// <summary>Reads an option's text into its value; false when the text is not a valid value.</summary>
internal delegate bool ValueReader<T>(string text, out T value);

/// <summary>
/// One <c>--name</c> option of a command: a flag (no value), or an option whose value must read as its type.
/// <see cref="Expected"/> says in words what a value looks like, so every refusal can name the option and what it wants.
/// </summary>
internal class CliOption
{
    /// <summary>A flag: present or absent, never followed by a value.</summary>
    public CliOption(string name)
        : this(name, expected: null, required: false)
    {
    }

    private protected CliOption(string name, string? expected, bool required)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Expected = expected;
        IsRequired = required;
    }

    public string Name { get; }

    /// <summary>What a value looks like ("an integer from 1 to 4"); null for a flag.</summary>
    public string? Expected { get; }

    public bool IsFlag => Expected is null;

    public bool IsRequired { get; }

    internal virtual bool TryRead(string text, out object? value) =>
        throw new InvalidOperationException($"{Name} is a flag and takes no value.");
}

/// <summary>An option with a value of type <typeparamref name="T"/> (use a nullable type so "absent" reads as null).</summary>
internal sealed class CliOption<T> : CliOption
{
    private readonly ValueReader<T> _read;

    public CliOption(string name, string expected, ValueReader<T> read, bool required = false)
        : base(name, expected, required)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(expected);
        _read = read;
    }

    internal override bool TryRead(string text, out object? value)
    {
        var ok = _read(text, out var typed);
        value = typed;
        return ok;
    }
}
