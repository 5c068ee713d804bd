using NitroLive.Cli.CommandLine;
using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.CommandLine;

/// <summary>The option parser every `nitrolive` command shares.</summary>
public sealed class CommandSyntaxTests
{
    private static readonly CliOption<string?> Name = CliOptions.Text("--name", "a name", required: true);
    private static readonly CliOption<int?> Count = CliOptions.Int("--count", 1, 4);
    private static readonly CliOption<int?> Floor = CliOptions.Int("--floor", min: 0);
    private static readonly CliOption<long?> Seed = CliOptions.Long("--seed");
    private static readonly CliOption<string?> Mode = CliOptions.Choice("--mode", ["latest", "fifo", "both"]);
    private static readonly CliOption<ProviderPreference?> Provider = CliOptions.Provider();
    private static readonly CliOption<(int Width, int Height)?> Size = CliOptions.Size("--size", 8, 4096);
    private static readonly CliOption Verbose = CliOptions.Flag("--verbose");
    private static readonly CommandSyntax Syntax = new(Name, Count, Floor, Seed, Mode, Provider, Size, Verbose);

    [Fact]
    public void ReadsEveryKindOfOptionAsItsType()
    {
        var parsed = Parse("--name", "ada", "--count", "3", "--floor", "0", "--seed", "-9007199254740993", "--mode", "fifo", "--provider", "CUDA",
            "--size", "128x64", "--verbose");

        Assert.Equal("ada", parsed.Get(Name));
        Assert.Equal(3, parsed.Get(Count));
        Assert.Equal(0, parsed.Get(Floor));
        Assert.Equal(-9007199254740993L, parsed.Get(Seed));
        Assert.Equal("fifo", parsed.Get(Mode));
        Assert.Equal(ProviderPreference.Cuda, parsed.Get(Provider));
        Assert.Equal((128, 64), parsed.Get(Size));
        Assert.True(parsed.Has(Verbose));
        Assert.Empty(parsed.Positionals);
        Assert.Null(parsed.AfterDoubleDash);
        Assert.False(parsed.IsHelp);
    }

    [Fact]
    public void AbsentOptionsReadAsNull()
    {
        var parsed = Parse("--name", "ada");

        Assert.Null(parsed.Get(Count));
        Assert.Null(parsed.Get(Seed));
        Assert.Null(parsed.Get(Mode));
        Assert.Null(parsed.Get(Provider));
        Assert.Null(parsed.Get(Size));
        Assert.False(parsed.Has(Count));
        Assert.False(parsed.Has(Verbose));
    }

    [Fact]
    public void AValueIsTheNextArgumentEvenWhenItLooksLikeAnOption()
    {
        Assert.Equal("--verbose", Parse("--name", "--verbose").Get(Name));
    }

    [Fact]
    public void TheLastOfARepeatedOptionWins()
    {
        Assert.Equal(2, Parse("--name", "a", "--count", "1", "--count", "2").Get(Count));
    }

    [Theory]
    [InlineData("--count", "two", "--count has an invalid value 'two': expected an integer from 1 to 4")]
    [InlineData("--count", "5", "--count has an invalid value '5': expected an integer from 1 to 4")]
    [InlineData("--count", "0", "--count has an invalid value '0': expected an integer from 1 to 4")]
    [InlineData("--count", "2.5", "--count has an invalid value '2.5': expected an integer from 1 to 4")]
    [InlineData("--floor", "-1", "--floor has an invalid value '-1': expected an integer of at least 0")]
    [InlineData("--seed", "1e3", "--seed has an invalid value '1e3': expected an integer")]
    [InlineData("--mode", "LATEST", "--mode has an invalid value 'LATEST': expected latest, fifo or both")]
    [InlineData("--provider", "tpu", "--provider has an invalid value 'tpu': expected auto, cpu or cuda")]
    [InlineData("--size", "4x4", "--size has an invalid value '4x4': expected WxH such as 128x128, each side 8 to 4096")]
    [InlineData("--size", "128", "--size has an invalid value '128': expected WxH such as 128x128, each side 8 to 4096")]
    [InlineData("--size", "-8x8", "--size has an invalid value '-8x8': expected WxH such as 128x128, each side 8 to 4096")]
    public void ABadValueNamesTheOptionTheValueAndWhatWasExpected(string option, string value, string message)
    {
        Assert.Equal(message, Refusal("--name", "a", option, value));
    }

    [Theory]
    [InlineData("--count", "--count needs a value (an integer from 1 to 4)")]
    [InlineData("--name", "--name needs a value (a name)")]
    public void AMissingValueNamesTheOptionAndWhatItTakes(string option, string message)
    {
        Assert.Equal(message, Refusal("--name", "a", option));
    }

    [Fact]
    public void AnUnknownOptionIsNamed()
    {
        Assert.Equal("unknown option '--colour'", Refusal("--name", "a", "--colour", "red"));
        Assert.Equal("unknown option '--'", Refusal("--name", "a", "--"));
    }

    [Fact]
    public void AMissingRequiredOptionIsNamed()
    {
        Assert.Equal("--name is required (a name)", Refusal("--count", "2"));
    }

    [Fact]
    public void PositionalArgumentsAreRefusedUnlessTheCommandTakesThem()
    {
        Assert.Equal("unexpected argument 'stray'", Refusal("--name", "a", "stray"));

        var one = new CommandSyntax(Verbose) { MaxPositionals = 1 };
        Assert.True(one.TryParse(["-dir", "--verbose"], out var parsed, out var error), error);
        Assert.Equal(["-dir"], parsed.Positionals);
        Assert.False(one.TryParse(["a", "b"], out _, out error));
        Assert.Equal("unexpected argument 'b'", error);
    }

    [Fact]
    public void ADoubleDashEndsTheOptionsWhereTheCommandSaysSo()
    {
        var syntax = new CommandSyntax(Verbose) { MaxPositionals = int.MaxValue, DoubleDashEndsOptions = true };

        Assert.True(syntax.TryParse(["a", "--verbose", "--", "--verbose", "b"], out var parsed, out var error), error);

        Assert.Equal(["a"], parsed.Positionals);
        Assert.Equal(["--verbose", "b"], parsed.AfterDoubleDash);
        Assert.True(parsed.Has(Verbose));
    }

    [Fact]
    public void ARequiredOptionIsStillRequiredBeforeADoubleDash()
    {
        var syntax = new CommandSyntax(Name) { DoubleDashEndsOptions = true };

        Assert.False(syntax.TryParse(["--", "--name", "a"], out _, out var error));
        Assert.Equal("--name is required (a name)", error);
    }

    [Fact]
    public void HelpStopsParsingWhereAnOptionMayStand()
    {
        var syntax = new CommandSyntax(Name, Count) { HelpNames = ["-h", "--help"] };

        Assert.True(syntax.TryParse(["--count", "2", "-h", "--bogus"], out var parsed, out _));
        Assert.True(parsed.IsHelp);

        // As a value it is just a value.
        Assert.True(syntax.TryParse(["--name", "--help"], out parsed, out _));
        Assert.False(parsed.IsHelp);
        Assert.Equal("--help", parsed.Get(Name));
    }

    [Fact]
    public void DeclaringAnOptionTwiceIsAProgrammingError()
    {
        Assert.Throws<ArgumentException>(() => new CommandSyntax(Verbose, CliOptions.Flag("--verbose")));
    }

    private static ParsedCommandLine Parse(params string[] args)
    {
        Assert.True(Syntax.TryParse(args, out var parsed, out var error), error);
        return parsed;
    }

    private static string Refusal(params string[] args)
    {
        Assert.False(Syntax.TryParse(args, out _, out var error));
        return error;
    }
}
