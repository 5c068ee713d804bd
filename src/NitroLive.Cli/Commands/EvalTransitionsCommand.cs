using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NitroLive.Cli.CommandLine;
using NitroLive.Cli.Evaluation;
using NitroLive.Core.Models;
using NitroLive.Core.Pipeline;

namespace NitroLive.Cli.Commands;

/// <summary>
/// <c>nitrolive eval-transitions</c>: does blending each keystroke's prompt embeddings with the previous keystroke's
/// make typing flicker less, and what does it cost the final picture? Types the live benchmark's prompts letter by
/// letter through the real pipeline (fixed seed; keystrokes the model reads alike skipped, as the live service reuses
/// their frame) once per blend weight, and measures the change between consecutive frames and the final frame's
/// distance from the final prompt's own picture. One JSON object on stdout.
/// </summary>
internal static class EvalTransitionsCommand
{
    private const string UsageLine =
        "usage: eval-transitions [--model DIR] [--weights PCT,...] [--seed N] [--limit N] [--provider auto|cpu|cuda]";

    private static readonly CliOption<string?> Model = CliOptions.Text("--model", "a model folder");
    private static readonly CliOption<IReadOnlyList<int>?> Weights = CliOptions.IntList("--weights", min: 0, max: 100);
    private static readonly CliOption<long?> Seed = CliOptions.Long("--seed");
    private static readonly CliOption<int?> Limit = CliOptions.Int("--limit", min: 1);
    private static readonly CliOption<ProviderPreference?> Provider = CliOptions.Provider();
    private static readonly CommandSyntax Syntax = new(Model, Weights, Seed, Limit, Provider);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!CommandStart.TryParse<Arguments>("eval-transitions", UsageLine, args, TryParse, output, error, out var parsed, out var exitCode))
        {
            return exitCode;
        }

        using var logging = CliLogging.Create();
        try
        {
            using var pipeline = new NitroPipeline(new PipelineOptions { ModelDirectory = parsed.Model, Provider = parsed.Provider }, logging);
            var prompts = DemoPrompts.All.Take(parsed.Limit ?? DemoPrompts.All.Length).ToArray();
            var rows = parsed.Weights.Select(w => Measure(pipeline, prompts, w, parsed.Seed, cancellationToken)).ToList();
            await output.WriteLineAsync(ToJson(pipeline.Model, parsed.Seed, prompts.Length, rows));
            return 0;
        }
        catch (ModelValidationException ex)
        {
            return await ModelFolderErrors.ReportAsync(error, "nitrolive eval-transitions", ex);
        }
    }

    /// <summary>One blend weight's figures: each frame-to-frame change and each final frame's distance, in levels of 255.</summary>
    internal sealed record TransitionRow(int WeightPercent, List<double> FrameChanges, List<double> FinalErrors);

    internal static TransitionRow Measure(NitroPipeline pipeline, IReadOnlyList<string> prompts, int weightPercent, long seed, CancellationToken cancellationToken)
    {
        var model = pipeline.Model;
        var steps = model.SupportedSteps.Min();
        GenerationRequest Request(string text) => new(text, steps, seed, model.NativeWidth, model.NativeHeight);
        var row = new TransitionRow(weightPercent, [], []);
        foreach (var prompt in prompts)
        {
            string? previous = null, previousKey = null;
            byte[]? shown = null;
            for (var length = 1; length <= prompt.Length; length++)
            {
                var text = prompt[..length];
                var key = pipeline.PromptKey(text);
                if (string.Equals(key, previousKey, StringComparison.Ordinal))
                {
                    continue;
                }

                var blend = previous is not null && weightPercent > 0 ? new PromptBlend(previous, weightPercent / 100f) : null;
                var frame = pipeline.Generate([Request(text)], blend, cancellationToken)[0].Rgb;
                if (shown is not null)
                {
                    row.FrameChanges.Add(MeanAbsoluteDifference(shown, frame));
                }

                shown = frame;
                previous = text;
                previousKey = key;
            }

            var exact = pipeline.Generate([Request(prompt)], cancellationToken)[0].Rgb;
            row.FinalErrors.Add(MeanAbsoluteDifference(exact, shown!));
        }

        return row;
    }

    internal static double MeanAbsoluteDifference(byte[] a, byte[] b)
    {
        long sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        return (double)sum / a.Length;
    }

    internal static string ToJson(ModelDescription model, long seed, int prompts, IReadOnlyList<TransitionRow> rows)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("model", model.DisplayName);
            json.WriteString("provider", model.Provider);
            json.WriteNumber("width", model.NativeWidth);
            json.WriteNumber("height", model.NativeHeight);
            json.WriteNumber("seed", seed);
            json.WriteNumber("prompts", prompts);
            json.WriteString("unit", "mean absolute difference per channel, 0 to 255");
            json.WriteString("date_utc", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
            json.WriteStartArray("weights");
            foreach (var row in rows)
            {
                json.WriteStartObject();
                json.WriteNumber("weight_percent", row.WeightPercent);
                BenchSummary.Write(json, "frame_to_frame_change", BenchSummary.Of(row.FrameChanges));
                json.WriteNumber("frame_changes_over_10", row.FrameChanges.Count(c => c > 10));
                BenchSummary.Write(json, "final_frame_error", BenchSummary.Of(row.FinalErrors));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal sealed record Arguments(string Model, IReadOnlyList<int> Weights, long Seed, int? Limit, ProviderPreference Provider);

    internal static bool TryParse(string[] args, out Arguments parsed, [NotNullWhen(false)] out string? error)
    {
        parsed = null!;
        if (!Syntax.TryParse(args, out var options, out error))
        {
            return false;
        }

        parsed = new Arguments(options.Get(Model) ?? EmbeddedModel.DefaultDirectory, options.Get(Weights) ?? [0, 25, 50],
            options.Get(Seed) ?? 7, options.Get(Limit), options.Get(Provider) ?? ProviderPreference.Auto);
        return true;
    }
}
