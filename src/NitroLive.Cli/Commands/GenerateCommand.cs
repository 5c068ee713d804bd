using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using NitroLive.Cli.CommandLine;
using NitroLive.Core.Models;
using NitroLive.Core.Pipeline;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace NitroLive.Cli.Commands;

/// <summary><c>nitrolive generate --prompt TEXT ...</c>: one image to a PNG, its timings as one JSON object on stdout.</summary>
internal static class GenerateCommand
{
    private const string UsageLine =
        "usage: generate --prompt TEXT [--model DIR] [--steps N] [--seed N] [--width W --height H] [--out FILE.png] [--provider auto|cpu|cuda] [--tiny-decoder]";

    private static readonly CliOption<string?> Prompt = CliOptions.Text("--prompt", "the prompt text", required: true);
    private static readonly CliOption<string?> Model = CliOptions.Text("--model", "a model folder");
    private static readonly CliOption<int?> Steps = CliOptions.Int("--steps");
    private static readonly CliOption<long?> Seed = CliOptions.Long("--seed");
    private static readonly CliOption<int?> Width = CliOptions.Int("--width");
    private static readonly CliOption<int?> Height = CliOptions.Int("--height");
    private static readonly CliOption<string?> Out = CliOptions.Text("--out", "a PNG file path");
    private static readonly CliOption<ProviderPreference?> Provider = CliOptions.Provider();
    private static readonly CliOption TinyDecoder = CliOptions.Flag("--tiny-decoder");

    // Steps and size are checked against the model by the pipeline, which names what the model supports.
    private static readonly CommandSyntax Syntax = new(Prompt, Model, Steps, Seed, Width, Height, Out, Provider, TinyDecoder);

    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error, CancellationToken.None);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!CommandStart.TryParse<Arguments>("generate", UsageLine, args, TryParse, output, error, out var parsed, out var exitCode))
        {
            return exitCode;
        }

        using var logging = CliLogging.Create();
        try
        {
            using var pipeline = new NitroPipeline(
                new PipelineOptions { ModelDirectory = parsed.Model, Provider = parsed.Provider, UseTinyDecoder = parsed.TinyDecoder }, logging);
            var request = new GenerationRequest(
                parsed.Prompt,
                parsed.Steps ?? pipeline.Model.SupportedSteps.Min(),
                parsed.Seed,
                parsed.Width ?? pipeline.Model.NativeWidth,
                parsed.Height ?? pipeline.Model.NativeHeight);
            var result = (await pipeline.GenerateAsync([request], cancellationToken))[0];

            var outPath = Path.GetFullPath(parsed.Out);
            if (Path.GetDirectoryName(outPath) is { } dir)
            {
                Directory.CreateDirectory(dir);
            }

            using (var image = Image.LoadPixelData<Rgb24>(result.Rgb, result.Width, result.Height))
            {
                await image.SaveAsPngAsync(outPath, cancellationToken);
            }

            await output.WriteLineAsync(ToJson(result, outPath));
            return 0;
        }
        catch (ModelValidationException ex)
        {
            return await ModelFolderErrors.ReportAsync(error, "nitrolive generate", ex);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"nitrolive generate: {ex.Message}");
            return 2;
        }
        catch (InvalidOperationException ex)
        {
            await error.WriteLineAsync($"nitrolive generate: {ex.Message}");
            return 1;
        }
    }

    internal static string ToJson(GenerationResult result, string outPath)
    {
        var t = result.Timings;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("prompt", result.Request.Prompt);
            json.WriteNumber("seed", result.Request.Seed);
            json.WriteNumber("steps", result.Request.Steps);
            json.WriteNumber("width", result.Width);
            json.WriteNumber("height", result.Height);
            json.WriteString("provider", t.Provider);
            json.WriteNumber("tokenize_ms", Math.Round(t.TokenizeMs, 3));
            json.WriteNumber("text_encode_ms", Math.Round(t.TextEncodeMs, 3));
            json.WriteBoolean("text_cache_hit", t.TextCacheHit);
            json.WriteStartArray("unet_ms");
            foreach (var ms in t.UnetStepMs)
            {
                json.WriteNumberValue(Math.Round(ms, 3));
            }

            json.WriteEndArray();
            json.WriteNumber("decode_ms", Math.Round(t.DecodeMs, 3));
            json.WriteNumber("total_ms", Math.Round(t.TotalMs, 3));
            json.WriteString("out", outPath);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal sealed record Arguments(
        string Prompt, string Model, int? Steps, long Seed, int? Width, int? Height, string Out, ProviderPreference Provider, bool TinyDecoder);

    internal static bool TryParse(string[] args, out Arguments parsed, [NotNullWhen(false)] out string? error)
    {
        parsed = null!;
        if (!Syntax.TryParse(args, out var options, out error))
        {
            return false;
        }

        var (width, height) = (options.Get(Width), options.Get(Height));
        if ((width is null) != (height is null))
        {
            error = "--width and --height go together";
            return false;
        }

        parsed = new Arguments(options.Get(Prompt)!, options.Get(Model) ?? EmbeddedModel.DefaultDirectory, options.Get(Steps),
            options.Get(Seed) ?? 0, width, height, options.Get(Out) ?? "nitrolive.png", options.Get(Provider) ?? ProviderPreference.Auto,
            options.Has(TinyDecoder));
        return true;
    }
}
