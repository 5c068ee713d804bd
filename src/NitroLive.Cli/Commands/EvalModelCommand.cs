using System.Diagnostics;
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
/// <c>nitrolive eval-model</c>: every held-out prompt through the real pipeline at the model's native size, judged by
/// <see cref="SceneJudge"/>; one JSON object (accuracy overall and per kind, timing) on stdout, or the model card's
/// table rows with --markdown.
/// </summary>
internal static class EvalModelCommand
{
    private const string UsageLine =
        "usage: eval-model [--model DIR] [--heldout FILE] [--steps N] [--seed N] [--limit N] [--kind single|count|pair] [--provider auto|cpu|cuda] [--tiny-decoder] [--markdown]";

    private static readonly CliOption<string?> Model = CliOptions.Text("--model", "a model folder");
    private static readonly CliOption<string?> Heldout = CliOptions.Text("--heldout", "a held-out set (JSON file)");
    private static readonly CliOption<int?> Steps = CliOptions.Int("--steps", min: 1);
    private static readonly CliOption<long?> Seed = CliOptions.Long("--seed");
    private static readonly CliOption<int?> Limit = CliOptions.Int("--limit", min: 1);
    private static readonly CliOption<string?> Kind = CliOptions.Choice("--kind", SceneJudge.Kinds);
    private static readonly CliOption<ProviderPreference?> Provider = CliOptions.Provider();
    private static readonly CliOption TinyDecoder = CliOptions.Flag("--tiny-decoder");
    private static readonly CliOption Markdown = CliOptions.Flag("--markdown");
    private static readonly CommandSyntax Syntax = new(Model, Heldout, Steps, Seed, Limit, Kind, Provider, TinyDecoder, Markdown);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!CommandStart.TryParse<Arguments>("eval-model", UsageLine, args, TryParse, output, error, out var parsed, out var exitCode))
        {
            return exitCode;
        }

        var heldoutPath = Path.GetFullPath(parsed.Heldout ?? Path.Combine(parsed.Model, "eval", "heldout.json"));
        if (!File.Exists(heldoutPath))
        {
            // The copy of the model next to the binary leaves eval/ out, so the default only works on a source checkout.
            await error.WriteLineAsync($"nitrolive eval-model: held-out set '{heldoutPath}' not found; pass --heldout FILE or --model models/nitro-tiny (the repository folder).");
            return 2;
        }

        IReadOnlyList<HeldoutRecord> records;
        try
        {
            records = Select(HeldoutRecord.Load(heldoutPath), parsed.Kind, parsed.Limit);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            await error.WriteLineAsync($"nitrolive eval-model: '{heldoutPath}' is not a held-out set (a JSON array of {{prompt, scene}}): {ex.Message}");
            return 2;
        }

        using var logging = CliLogging.Create();
        try
        {
            using var pipeline = new NitroPipeline(new PipelineOptions { ModelDirectory = parsed.Model, Provider = parsed.Provider, UseTinyDecoder = parsed.TinyDecoder }, logging);
            var steps = parsed.Steps ?? pipeline.Model.SupportedSteps.Min();
            var clock = Stopwatch.StartNew();
            var results = await EvaluateAsync(pipeline, records, steps, parsed.Seed, cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            var summary = SceneJudge.Summarize(results);
            await output.WriteLineAsync(parsed.Markdown
                ? ToMarkdown(summary, steps)
                : ToJson(summary, pipeline.Model, Path.GetFullPath(parsed.Model), heldoutPath, steps, parsed.Seed, seconds));
            return 0;
        }
        catch (ModelValidationException ex)
        {
            return await ModelFolderErrors.ReportAsync(error, "nitrolive eval-model", ex);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"nitrolive eval-model: {ex.Message}");
            return 2;
        }
    }

    /// <summary>
    /// Generates every record at the model's native size, in batches of the pipeline's MaxBatch, each prompt with seed
    /// <paramref name="seed"/> + its place in the held-out file (so a subset, by kind or limit, keeps each prompt's
    /// noise), and judges each image.
    /// </summary>
    internal static async Task<List<(HeldoutRecord Record, JudgeVerdict Verdict)>> EvaluateAsync(
        NitroPipeline pipeline, IReadOnlyList<HeldoutRecord> records, int steps, long seed, CancellationToken cancellationToken)
    {
        var model = pipeline.Model;
        var results = new List<(HeldoutRecord, JudgeVerdict)>(records.Count);
        for (var start = 0; start < records.Count; start += model.MaxBatch)
        {
            var requests = Enumerable.Range(start, Math.Min(model.MaxBatch, records.Count - start))
                .Select(i => RequestFor(records[i], steps, seed, model))
                .ToList();
            var images = await pipeline.GenerateAsync(requests, cancellationToken);
            for (var k = 0; k < images.Count; k++)
            {
                var record = records[start + k];
                results.Add((record, SceneJudge.Check(images[k].Rgb, images[k].Width, images[k].Height, record)));
            }
        }

        return results;
    }

    internal static GenerationRequest RequestFor(HeldoutRecord record, int steps, long seed, ModelDescription model) =>
        new(record.Prompt, steps, seed + record.Index, model.NativeWidth, model.NativeHeight);

    internal static IReadOnlyList<HeldoutRecord> Select(IReadOnlyList<HeldoutRecord> records, string? kind, int? limit)
    {
        IEnumerable<HeldoutRecord> selected = records;
        if (kind is not null)
        {
            selected = selected.Where(r => r.Kind == kind);
        }

        if (limit is { } n)
        {
            selected = selected.Take(n);
        }

        return selected.ToList();
    }

    internal static string ToJson(
        IReadOnlyDictionary<string, JudgeScores> summary, ModelDescription model, string modelDirectory, string heldout, int steps, long seed, double seconds)
    {
        var n = summary.TryGetValue("all", out var all) ? all.N : 0;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("model", model.DisplayName);
            json.WriteString("model_dir", modelDirectory);
            json.WriteString("heldout", heldout);
            json.WriteString("provider", model.Provider);
            json.WriteNumber("width", model.NativeWidth);
            json.WriteNumber("height", model.NativeHeight);
            json.WriteNumber("steps", steps);
            json.WriteNumber("seed", seed);
            json.WriteString("seeds", "seed + prompt index");
            json.WriteNumber("n", n);
            json.WriteString("date_utc", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
            json.WriteStartObject("accuracy_percent");
            foreach (var (group, s) in summary)
            {
                json.WriteStartObject(group);
                json.WriteNumber("n", s.N);
                json.WriteNumber("colour", s.Colour);
                json.WriteNumber("background", s.Background);
                json.WriteNumber("position", s.Position);
                json.WriteNumber("count", s.Count);
                json.WriteNumber("shape", s.Shape);
                json.WriteNumber("all", s.All);
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteStartObject("timing");
            json.WriteNumber("total_s", Math.Round(seconds, 2));
            json.WriteNumber("per_image_ms", n == 0 ? 0 : Math.Round(1000 * seconds / n, 1));
            json.WriteNumber("batch", model.MaxBatch);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Rows in the model card's table format, so refreshing the README is a paste.</summary>
    internal static string ToMarkdown(IReadOnlyDictionary<string, JudgeScores> summary, int steps)
    {
        var text = new StringBuilder();
        var setting = steps == 1 ? "1 step" : $"{steps} steps";
        foreach (var (group, s) in summary)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {setting} | {group} | {s.N} | {s.Colour:F1} | {s.Background:F1} | {s.Position:F1} | {s.Count:F1} | {s.Shape:F1} | {s.All:F1} |");
        }

        return text.ToString().TrimEnd();
    }

    internal sealed record Arguments(
        string Model, string? Heldout, int? Steps, long Seed, int? Limit, string? Kind, ProviderPreference Provider, bool Markdown, bool TinyDecoder = false);

    internal static bool TryParse(string[] args, out Arguments parsed, [NotNullWhen(false)] out string? error)
    {
        parsed = null!;
        if (!Syntax.TryParse(args, out var options, out error))
        {
            return false;
        }

        parsed = new Arguments(options.Get(Model) ?? EmbeddedModel.DefaultDirectory, options.Get(Heldout), options.Get(Steps),
            options.Get(Seed) ?? 0, options.Get(Limit), options.Get(Kind), options.Get(Provider) ?? ProviderPreference.Auto, options.Has(Markdown), options.Has(TinyDecoder));
        return true;
    }
}
