using NitroLive.Cli.Commands;
using NitroLive.Core.Models;
using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.CommandLine;

/// <summary>What each command makes of its options: defaults, values, and which option a refusal names.</summary>
public sealed class CommandOptionsTests
{
    [Fact]
    public void GenerateDefaultsEverythingButThePrompt()
    {
        Assert.True(GenerateCommand.TryParse(["--prompt", "a red circle"], out var parsed, out var error), error);

        Assert.Equal(new GenerateCommand.Arguments("a red circle", EmbeddedModel.DefaultDirectory, null, 0, null, null, "nitrolive.png",
            ProviderPreference.Auto, false), parsed);
    }

    [Fact]
    public void GenerateReadsEveryOptionAndTheLastOfARepeatedOneWins()
    {
        Assert.True(GenerateCommand.TryParse(
            ["--prompt", "x", "--model", "m", "--steps", "3", "--seed", "-7", "--width", "128", "--height", "64", "--out", "o.png",
             "--provider", "CUDA", "--tiny-decoder", "--prompt", "--tiny-decoder"], out var parsed, out var error), error);

        Assert.Equal(new GenerateCommand.Arguments("--tiny-decoder", "m", 3, -7, 128, 64, "o.png", ProviderPreference.Cuda, true), parsed);
    }

    [Theory]
    [InlineData(new[] { "--prompt", "x", "--seed" }, "--seed needs a value")]
    [InlineData(new[] { "--prompt", "x", "stray" }, "unexpected argument 'stray'")]
    [InlineData(new[] { "--prompt", "x", "--seed", "1.5" }, "--seed has an invalid value '1.5'")]
    [InlineData(new[] { "--prompt", "x", "--height", "64" }, "--width and --height go together")]
    public void GenerateRefusalsNameTheOption(string[] args, string message)
    {
        Assert.False(GenerateCommand.TryParse(args, out _, out var error));
        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void EvalModelDefaultsAndReadsItsOptions()
    {
        Assert.True(EvalModelCommand.TryParse([], out var defaults, out var error), error);
        Assert.Equal(new EvalModelCommand.Arguments(EmbeddedModel.DefaultDirectory, null, null, 0, null, null, ProviderPreference.Auto, false), defaults);

        Assert.True(EvalModelCommand.TryParse(
            ["--model", "m", "--heldout", "h.json", "--steps", "2", "--seed", "9", "--limit", "5", "--kind", "pair", "--provider", "cpu", "--markdown"],
            out var parsed, out error), error);
        Assert.Equal(new EvalModelCommand.Arguments("m", "h.json", 2, 9, 5, "pair", ProviderPreference.Cpu, true), parsed);
    }

    [Theory]
    [InlineData("--kind", "triple")]
    [InlineData("--steps", "0")]
    [InlineData("--limit", "0")]
    [InlineData("--limit", "many")]
    [InlineData("--provider", "tpu")]
    public void EvalModelRefusesABadValueNamingTheOption(string option, string value)
    {
        Assert.False(EvalModelCommand.TryParse([option, value], out _, out var error));
        Assert.StartsWith($"{option} has an invalid value '{value}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void BenchPipelineDefaults()
    {
        Assert.True(BenchPipelineCommand.TryParse([], out var settings, out var error), error);

        Assert.Equal(EmbeddedModel.DefaultDirectory, settings.Model);
        Assert.Empty(settings.Steps);
        Assert.Empty(settings.Sizes);
        Assert.Equal([1], settings.Batches);
        Assert.False(settings.IsMatrix);
        Assert.Null(settings.KeepLatentsOnDevice);
        Assert.False(settings.CudaGraphs);
        Assert.Equal(20, settings.Runs);
        Assert.Equal(3, settings.Warmup);
        Assert.Equal(0, settings.Threads);
        Assert.Equal(["hit", "miss"], settings.PromptModes);
        Assert.Equal(ProviderPreference.Auto, settings.Provider);
        Assert.False(settings.TinyDecoder);
        Assert.False(settings.Drafts);
    }

    [Fact]
    public void BenchPipelineReadsEveryOption()
    {
        Assert.True(BenchPipelineCommand.TryParse(
            ["--model", "m", "--steps", "4", "--size", "128X64", "--runs", "5", "--warmup", "0", "--prompts", "miss", "--provider", "Cpu",
             "--threads", "2", "--tiny-decoder", "--drafts", "--batch", "2", "--latents", "host", "--cuda-graphs"], out var settings, out var error), error);

        Assert.Equal("m", settings.Model);
        Assert.Equal([4], settings.Steps);
        Assert.Equal([(128, 64)], settings.Sizes);
        Assert.Equal([2], settings.Batches);
        Assert.False(settings.KeepLatentsOnDevice);
        Assert.True(settings.CudaGraphs);
        Assert.False(settings.IsMatrix);
        Assert.Equal(5, settings.Runs);
        Assert.Equal(0, settings.Warmup);
        Assert.Equal(2, settings.Threads);
        Assert.Equal(["miss"], settings.PromptModes);
        Assert.Equal(ProviderPreference.Cpu, settings.Provider);
        Assert.True(settings.TinyDecoder);
        Assert.True(settings.Drafts);
    }

    [Theory]
    [InlineData("--steps", "5")]
    [InlineData("--runs", "0")]
    [InlineData("--warmup", "-1")]
    [InlineData("--size", "4x4")]
    [InlineData("--size", "128")]
    [InlineData("--prompts", "some")]
    [InlineData("--provider", "tpu")]
    [InlineData("--threads", "x")]
    [InlineData("--steps", "1,5")]
    [InlineData("--size", "512x512,64")]
    [InlineData("--batch", "0")]
    [InlineData("--batch", "1,,4")]
    [InlineData("--latents", "gpu")]
    public void BenchPipelineRefusesABadValueNamingTheOption(string option, string value)
    {
        Assert.False(BenchPipelineCommand.TryParse([option, value], out _, out var error));
        Assert.StartsWith(option, error, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void BenchPipelineTakesListsAndRunsEveryCombination()
    {
        Assert.True(BenchPipelineCommand.TryParse(["--size", "512x512,1024x1024,512x512", "--steps", "1,4", "--batch", "1,4", "--latents", "device"],
            out var settings, out var error), error);

        Assert.Equal([(512, 512), (1024, 1024)], settings.Sizes);
        Assert.Equal([1, 4], settings.Steps);
        Assert.Equal([1, 4], settings.Batches);
        Assert.True(settings.KeepLatentsOnDevice);
        Assert.True(settings.IsMatrix);
    }

    [Fact]
    public void BenchLiveNeedsOnlyTheUrl()
    {
        Assert.True(BenchLiveCommand.TryParse(["--url", "http://127.0.0.1:5000"], out var settings, out var error), error);

        Assert.Equal(new Uri("http://127.0.0.1:5000/"), settings.Url);
        Assert.Equal(4, settings.Clients);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.Duration);
        Assert.Equal(TimeSpan.FromSeconds(BenchLiveCommand.DefaultWarmupSeconds), settings.Warmup);
        Assert.Equal(80, settings.CadenceMs);
        Assert.Equal(BenchLiveCommand.DefaultJitterPercent, settings.JitterPercent);
        Assert.Equal(300, settings.PauseMs);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.FrameTimeout);
        Assert.Equal(["latest"], settings.Modes);
        Assert.Equal("messagepack", settings.Protocol);
        Assert.False(settings.AllowRemote);
        Assert.Equal(0, settings.TyposPercent);
        Assert.Null(settings.Steps);
        Assert.Null(settings.Drafts);
    }

    [Fact]
    public void BenchLiveReadsEveryOption()
    {
        Assert.True(BenchLiveCommand.TryParse(
            ["--url", "https://example.test/app/", "--clients", "8", "--duration", "5", "--warmup", "0", "--cadence-ms", "0", "--jitter", "0", "--mode", "both", "--pause-ms", "10",
             "--frame-timeout-s", "3", "--protocol", "json", "--allow-remote", "--typos", "5", "--steps", "4", "--drafts", "off"], out var settings, out var error), error);

        Assert.Equal(new Uri("https://example.test/app/"), settings.Url);
        Assert.Equal(8, settings.Clients);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.Duration);
        Assert.Equal(TimeSpan.Zero, settings.Warmup);
        Assert.Equal(0, settings.CadenceMs);
        Assert.Equal(0, settings.JitterPercent);
        Assert.Equal(10, settings.PauseMs);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.FrameTimeout);
        Assert.Equal(["latest", "fifo"], settings.Modes);
        Assert.Equal("json", settings.Protocol);
        Assert.True(settings.AllowRemote);
        Assert.Equal(5, settings.TyposPercent);
        Assert.Equal(4, settings.Steps);
        Assert.False(settings.Drafts);
    }

    [Theory]
    [InlineData(new[] { "--clients", "2" }, "--url")]
    [InlineData(new[] { "--url", "ftp://127.0.0.1/" }, "--url")]
    [InlineData(new[] { "--url", "http://127.0.0.1", "--clients", "0" }, "--clients")]
    [InlineData(new[] { "--url", "http://127.0.0.1", "--duration", "soon" }, "--duration")]
    [InlineData(new[] { "--url", "http://127.0.0.1", "--mode", "lifo" }, "--mode")]
    [InlineData(new[] { "--url", "http://127.0.0.1", "--jitter", "101" }, "--jitter")]
    [InlineData(new[] { "--url", "http://127.0.0.1", "--typos", "51" }, "--typos")]
    [InlineData(new[] { "--url", "http://127.0.0.1", "--warmup", "-1" }, "--warmup")]
    [InlineData(new[] { "--url", "http://127.0.0.1", "--protocol", "xml" }, "--protocol")]
    [InlineData(new[] { "--url", "http://127.0.0.1", "--steps", "5" }, "--steps")]
    [InlineData(new[] { "--url", "http://127.0.0.1", "--drafts", "maybe" }, "--drafts")]
    [InlineData(new[] { "--url", "http://127.0.0.1", "--bogus", "1" }, "unknown option '--bogus'")]
    [InlineData(new[] { "--url" }, "--url needs a value")]
    public void BenchLiveRefusalsNameTheOption(string[] args, string message)
    {
        Assert.False(BenchLiveCommand.TryParse(args, out _, out var error));
        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dir", "other")]
    [InlineData("dir", "--provider", "tpu")]
    [InlineData("dir", "--provider")]
    [InlineData("dir", "--bogus")]
    [InlineData("--no-load")]
    public void VerifyModelBadArgumentsAreAUsageError(params string[] args)
    {
        Assert.Equal(2, VerifyModelCommand.Run(args, new StringWriter(), new StringWriter()));
    }

    [Theory]
    [InlineData("--shifted-timestep", "250", "--steps", "2", "--original-steps", "x")]
    [InlineData("--shifted-timestep", "250")]
    [InlineData("--shifted-timestep", "250", "--steps", "2", "stray")]
    public void ScheduleBadArgumentsAreAUsageError(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(2, ScheduleCommand.Run(args, output, error));
        Assert.Empty(output.ToString());
        Assert.Contains("Usage: nitrolive schedule", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ScheduleHelpGoesToStandardOutput()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(0, ScheduleCommand.Run(["--steps", "2", "--help"], output, error));
        Assert.Contains("Usage: nitrolive schedule", output.ToString(), StringComparison.Ordinal);
        Assert.Empty(error.ToString());
    }

    [Fact]
    public void ScheduleAcceptsASignedOriginalStepCountAndAConfigPath()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        // The scheduler, not the parser, refuses what diffusers refuses: exit 1 with its reason.
        Assert.Equal(1, ScheduleCommand.Run(["--shifted-timestep", "250", "--steps", "2", "--original-steps", "-4"], output, error));
        Assert.Equal(1, ScheduleCommand.Run(["--shifted-timestep", "250", "--steps", "2", "--scheduler-config", "/no/such/scheduler_config.json"], output, error));
        Assert.Contains("/no/such/scheduler_config.json", error.ToString(), StringComparison.Ordinal);
    }
}
