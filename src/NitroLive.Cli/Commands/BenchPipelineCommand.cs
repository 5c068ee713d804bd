using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NitroLive.Cli.CommandLine;
using NitroLive.Core.Imaging;
using NitroLive.Core.Models;
using NitroLive.Core.Pipeline;

namespace NitroLive.Cli.Commands;

/// <summary>
/// <c>nitrolive bench pipeline</c>: per-stage timings (min, p50, p95, max) of the real pipeline, tokenize to RGB, with
/// the same prompt every run (text-embedding cache hit) and with a new prompt every run (cache miss), as one JSON object.
/// </summary>
internal static class BenchPipelineCommand
{
    /// <summary>Issue 3's target for one step at the embedded model's native size on a CPU.</summary>
    internal const double TargetTotalP50Ms = 40;

    internal const string UsageLine =
        "usage: bench pipeline [--model DIR] [--steps N[,N..]] [--size WxH[,WxH..]] [--batch N[,N..]] [--runs N] [--warmup N] " +
        "[--prompts hit|miss|both] [--provider auto|cpu|cuda] [--threads N] [--tiny-decoder] [--drafts] [--latents auto|device|host] [--cuda-graphs] " +
        "[--interleave] [--cudnn-algo exhaustive|heuristic|default]";

    private static readonly CliOption<string?> Model = CliOptions.Text("--model", "a model folder");
    private static readonly CliOption<IReadOnlyList<int>?> Steps = CliOptions.IntList("--steps", 1, 4);
    private static readonly CliOption<IReadOnlyList<(int Width, int Height)>?> Size = CliOptions.SizeList("--size", 8, 4096);
    private static readonly CliOption<IReadOnlyList<int>?> Batch = CliOptions.IntList("--batch", 1, 64);
    private static readonly CliOption<int?> Runs = CliOptions.Int("--runs", 1, 100_000);
    private static readonly CliOption<int?> Warmup = CliOptions.Int("--warmup", 0, 10_000);
    private static readonly CliOption<string?> Prompts = CliOptions.Choice("--prompts", ["hit", "miss", "both"]);
    private static readonly CliOption<ProviderPreference?> Provider = CliOptions.Provider();
    private static readonly CliOption<int?> Threads = CliOptions.Int("--threads", 0, 1024);
    private static readonly CliOption TinyDecoder = CliOptions.Flag("--tiny-decoder");

    // Every request a draft, as the live service sends while typing: the product's path to the tiny decoder (one pipeline
    // with both decoders), where --tiny-decoder opens the tiny decoder alone.
    private static readonly CliOption Drafts = CliOptions.Flag("--drafts");
    private static readonly CliOption<string?> Latents = CliOptions.Choice("--latents", ["auto", "device", "host"]);
    private static readonly CliOption CudaGraphs = CliOptions.Flag("--cuda-graphs");

    // The batch sizes of a --batch list take turns run by run, as a live service's batches do, instead of one after the
    // other: ONNX Runtime's CUDA convolutions plan again whenever their input shape differs from the previous run's.
    private static readonly CliOption Interleave = CliOptions.Flag("--interleave");
    private static readonly CliOption<string?> CudnnAlgo = CliOptions.Choice("--cudnn-algo", ["exhaustive", "heuristic", "default"]);
    private static readonly CommandSyntax Syntax = new(
        Model, Steps, Size, Batch, Runs, Warmup, Prompts, Provider, Threads, TinyDecoder, Drafts, Latents, CudaGraphs, Interleave, CudnnAlgo);

    private static readonly string[] Colours = ["red", "green", "blue", "yellow", "orange", "purple", "white", "black"];
    private static readonly string[] Shapes = ["circle", "square", "triangle"];
    private static readonly string[] Positions = ["center", "top", "bottom", "left", "right", "top left", "top right", "bottom left", "bottom right"];

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!CommandStart.TryParse<PipelineBenchSettings>("bench pipeline", UsageLine, args, TryParse, output, error, out var settings, out var exitCode))
        {
            return exitCode;
        }

        // Warnings only: a log line per generation would be measured with it.
        using var logging = CliLogging.Create(LogLevel.Warning);
        try
        {
            // As the web app runs it: result pixels come from a pool and go back once the frame is encoded.
            var resultBuffers = new RgbBufferPool();
            using var pipeline = new NitroPipeline(new PipelineOptions
            {
                ResultBuffers = resultBuffers,
                ModelDirectory = settings.Model,
                Provider = settings.Provider,
                IntraOpThreads = settings.Threads,
                UseTinyDecoder = settings.TinyDecoder,
                KeepLatentsOnDevice = settings.KeepLatentsOnDevice,
                UseCudaGraphs = settings.CudaGraphs,
                CudnnConvAlgoSearch = settings.CudnnAlgo,
            }, logging);
            var model = pipeline.Model;
            var encoder = new FrameEncoder(FrameFormat.Jpeg, quality: 85);
            var sizes = settings.Sizes.Count > 0 ? settings.Sizes : [(model.NativeWidth, model.NativeHeight)];
            var stepCounts = settings.Steps.Count > 0 ? settings.Steps : [model.SupportedSteps.Min()];

            // One model load for every combination: loading an SDXL-size UNet takes longer than measuring it. Unique prompts
            // continue across combinations so that a later combination's miss runs never find a cached prompt.
            var uniquePrompts = new StrongBox<int>(500);
            foreach (var (width, height) in sizes)
            {
                foreach (var steps in stepCounts)
                {
                    if (settings.Interleave)
                    {
                        await MeasureInterleavedAsync(pipeline, encoder, resultBuffers, settings, model, steps, width, height, uniquePrompts, output, error, cancellationToken);
                        continue;
                    }

                    foreach (var batch in settings.Batches)
                    {
                        var shape = new BenchShape(steps, width, height, batch);
                        var scenarios = new List<PipelineScenario>();
                        foreach (var kind in settings.PromptModes)
                        {
                            await error.WriteLineAsync(
                                $"nitrolive bench pipeline: {kind}, {settings.Warmup} warm-up + {settings.Runs} runs, {steps} step(s) at {width}x{height}, batch {batch} on {pipeline.Provider}");
                            scenarios.Add(await MeasureAsync(pipeline, encoder, resultBuffers, kind, settings, shape, uniquePrompts, cancellationToken));
                        }

                        var json = ToJson(settings, model, pipeline.Provider, pipeline.ProviderReason, pipeline.KeepsLatentsOnDevice,
                            pipeline.HasUnetShapeSession(batch, width, height), shape, scenarios);
                        await output.WriteLineAsync(json);
                    }
                }
            }

            return 0;
        }
        catch (ModelValidationException ex)
        {
            return await ModelFolderErrors.ReportAsync(error, "nitrolive bench pipeline", ex);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"nitrolive bench pipeline: {ex.Message}");
            return 2;
        }
        catch (InvalidOperationException ex)
        {
            await error.WriteLineAsync($"nitrolive bench pipeline: {ex.Message}");
            return 1;
        }
    }

    /// <summary>
    /// Every batch size of the list in turn, one run each, <see cref="PipelineBenchSettings.Runs"/> times round (after the
    /// warm-up rounds); then one JSON line per batch size, as without <c>--interleave</c>.
    /// </summary>
    private static async Task MeasureInterleavedAsync(NitroPipeline pipeline, FrameEncoder encoder, RgbBufferPool resultBuffers, PipelineBenchSettings settings,
        ModelDescription model, int steps, int width, int height, StrongBox<int> uniquePrompts, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var once = settings with { Runs = 1, Warmup = 0 };
        var samples = settings.Batches.ToDictionary(b => b, _ => settings.PromptModes.ToDictionary(k => k, _ => new List<PipelineSample>()));
        await error.WriteLineAsync(
            $"nitrolive bench pipeline: batches {string.Join(", ", settings.Batches)} in turn, {settings.Warmup} warm-up + {settings.Runs} rounds, {steps} step(s) at {width}x{height} on {pipeline.Provider}");
        for (var round = -settings.Warmup; round < settings.Runs; round++)
        {
            foreach (var batch in settings.Batches)
            {
                foreach (var kind in settings.PromptModes)
                {
                    var scenario = await MeasureAsync(pipeline, encoder, resultBuffers, kind, once, new BenchShape(steps, width, height, batch), uniquePrompts, cancellationToken);
                    if (round >= 0)
                    {
                        samples[batch][kind].AddRange(scenario.Samples);
                    }
                }
            }
        }

        foreach (var batch in settings.Batches)
        {
            var scenarios = settings.PromptModes.Select(kind => new PipelineScenario(kind, samples[batch][kind])).ToList();
            await output.WriteLineAsync(ToJson(settings, model, pipeline.Provider, pipeline.ProviderReason, pipeline.KeepsLatentsOnDevice,
                pipeline.HasUnetShapeSession(batch, width, height), new BenchShape(steps, width, height, batch), scenarios));
        }
    }

    /// <summary>
    /// A prompt of the embedded model's grammar, different for every index below 8*3*9*8 = 1728 (colour, shape,
    /// position, background), so a run of new prompts never finds its embeddings cached.
    /// </summary>
    internal static string UniquePrompt(int index)
    {
        var colour = Colours[index % Colours.Length];
        index /= Colours.Length;
        var shape = Shapes[index % Shapes.Length];
        index /= Shapes.Length;
        var position = Positions[index % Positions.Length];
        index /= Positions.Length;
        var background = Colours[(index + 3) % Colours.Length];
        return $"a {colour} {shape} at the {position} on a {background} background";
    }

    private static async Task<PipelineScenario> MeasureAsync(NitroPipeline pipeline, FrameEncoder encoder, RgbBufferPool resultBuffers, string kind,
        PipelineBenchSettings settings, BenchShape shape, StrongBox<int> uniquePrompts, CancellationToken cancellationToken)
    {
        // The miss scenario starts past every prompt the hit scenario or an earlier run could have cached.
        const string RepeatedPrompt = "a red circle on a blue background";
        var samples = new List<PipelineSample>(settings.Runs);
        for (var run = -settings.Warmup; run < settings.Runs; run++)
        {
            var requests = new GenerationRequest[shape.Batch];
            for (var i = 0; i < shape.Batch; i++)
            {
                var prompt = kind == "hit" ? RepeatedPrompt : UniquePrompt(uniquePrompts.Value++);
                requests[i] = new GenerationRequest(prompt, shape.Steps, Seed: 1234 + (run * shape.Batch) + i, shape.Width, shape.Height) { Draft = settings.Drafts };
            }

            // The whole process's count: the generation runs on the pipeline's own thread. Read outside the timing.
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            var results = await pipeline.GenerateAsync(requests, cancellationToken);
            var result = results[0];
            var wallMs = clock.Elapsed.TotalMilliseconds;
            var allocatedKb = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1024.0;

            clock.Restart();
            var jpeg = encoder.Encode(result.Rgb, result.Width, result.Height);
            var encodeMs = clock.Elapsed.TotalMilliseconds;
            foreach (var done in results)
            {
                resultBuffers.Return(done.Rgb);
            }

            if (run >= 0)
            {
                samples.Add(new PipelineSample(result.Timings, wallMs, allocatedKb, encodeMs, jpeg.Length));
            }
        }

        return new PipelineScenario(kind, samples);
    }

    internal static bool TryParse(string[] args, out PipelineBenchSettings settings, [NotNullWhen(false)] out string? error)
    {
        settings = null!;
        if (!Syntax.TryParse(args, out var options, out error))
        {
            return false;
        }

        string[] modes = options.Get(Prompts) switch
        {
            "hit" => ["hit"],
            "miss" => ["miss"],
            _ => ["hit", "miss"],
        };
        bool? latents = options.Get(Latents) switch
        {
            "device" => true,
            "host" => false,
            _ => null,
        };
        settings = new PipelineBenchSettings(options.Get(Model) ?? EmbeddedModel.DefaultDirectory, options.Get(Steps) ?? [], options.Get(Size) ?? [],
            options.Get(Batch) ?? [1], options.Get(Runs) ?? 20, options.Get(Warmup) ?? 3, modes, options.Get(Provider) ?? ProviderPreference.Auto,
            options.Get(Threads) ?? 0, options.Has(TinyDecoder), latents, options.Has(CudaGraphs))
        {
            Drafts = options.Has(Drafts),
            Interleave = options.Has(Interleave),
            CudnnAlgo = options.Get(CudnnAlgo) switch
            {
                "heuristic" => CudnnConvAlgoSearch.Heuristic,
                "default" => CudnnConvAlgoSearch.Default,
                _ => CudnnConvAlgoSearch.Exhaustive,
            },
        };
        return true;
    }

    internal static string ToJson(PipelineBenchSettings settings, ModelDescription model, string provider, string providerReason,
        bool latentsOnDevice, bool unetShapeSession, BenchShape shape, IReadOnlyList<PipelineScenario> scenarios)
    {
        using var buffer = new MemoryStream();
        // One combination: an indented object; a matrix: one object per line.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = !settings.IsMatrix }))
        {
            json.WriteStartObject();
            json.WriteString("model", model.DisplayName);
            json.WriteString("model_dir", Path.GetFullPath(settings.Model));
            json.WriteString("provider", provider);
            json.WriteString("provider_reason", providerReason);
            var (steps, width, height, batch) = shape;
            json.WriteNumber("steps", steps);
            json.WriteNumber("width", width);
            json.WriteNumber("height", height);
            json.WriteNumber("batch", batch);
            json.WriteBoolean("native_size", width == model.NativeWidth && height == model.NativeHeight);
            json.WriteBoolean("latents_on_device", latentsOnDevice);
            json.WriteBoolean("tiny_decoder", settings.TinyDecoder);
            json.WriteBoolean("drafts", settings.Drafts);
            json.WriteBoolean("drafts_use_tiny_decoder", settings.Drafts && model.DraftsUseTinyDecoder);

            // What decoded the measured images, from their own timings: the tiny decoder for all, none, or some.
            var tiny = scenarios.SelectMany(s => s.Samples).Count(s => s.Timings.TinyDecoder);
            json.WriteNumber("images_through_tiny_decoder", tiny);
            json.WriteBoolean("cuda_graphs_requested", settings.CudaGraphs);
            json.WriteBoolean("interleaved", settings.Interleave);
            json.WriteString("cudnn_conv_algo_search", settings.CudnnAlgo.ToString().ToLowerInvariant());

            // Whether the runs above went through the shape's own (graph-captured) UNet session, or fell back.
            json.WriteBoolean("unet_shape_session", unetShapeSession);
            json.WriteNumber("runs", settings.Runs);
            json.WriteNumber("warmup", settings.Warmup);
            json.WriteNumber("intra_op_threads", settings.Threads);
            json.WriteStartObject("machine");
            json.WriteNumber("processors", Environment.ProcessorCount);
            json.WriteString("os", RuntimeInformation.OSDescription);
            json.WriteString("runtime", RuntimeInformation.FrameworkDescription);
            if (LoadAverage() is { } load)
            {
                json.WriteNumber("load_average_1m", load);
            }

            json.WriteEndObject();

            foreach (var scenario in scenarios)
            {
                scenario.Write(json, scenario.Kind == "hit" ? "cache_hit" : "cache_miss");
            }

            var hit = scenarios.FirstOrDefault(s => s.Kind == "hit")?.Total;
            var miss = scenarios.FirstOrDefault(s => s.Kind == "miss")?.Total;
            BenchSummary.WriteRatio(json, "miss_over_hit_total_p50", miss?.P50, hit?.P50);
            if ((hit ?? miss) is { P50: > 0 } throughput)
            {
                json.WriteNumber("images_per_second_p50", Math.Round(batch * 1000 / throughput.P50, 2));
            }

            json.WriteStartObject("target");
            json.WriteNumber("total_p50_ms", TargetTotalP50Ms);
            if (hit is not null)
            {
                json.WriteBoolean("met_cache_hit", hit.P50 <= TargetTotalP50Ms);
            }

            if (miss is not null)
            {
                json.WriteBoolean("met_cache_miss", miss.P50 <= TargetTotalP50Ms);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static double? LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg").Split(' ');
            return double.Parse(text[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}

/// <summary>What <c>bench pipeline</c> runs: every combination of <see cref="Sizes"/>, <see cref="Steps"/> and <see cref="Batches"/>.</summary>
internal sealed record PipelineBenchSettings(
    string Model, IReadOnlyList<int> Steps, IReadOnlyList<(int Width, int Height)> Sizes, IReadOnlyList<int> Batches, int Runs, int Warmup,
    IReadOnlyList<string> PromptModes, ProviderPreference Provider, int Threads, bool TinyDecoder, bool? KeepLatentsOnDevice, bool CudaGraphs)
{
    /// <summary>Every request marked <see cref="GenerationRequest.Draft"/> (<c>--drafts</c>).</summary>
    public bool Drafts { get; init; }

    /// <summary>The batch sizes take turns run by run (<c>--interleave</c>).</summary>
    public bool Interleave { get; init; }

    /// <summary>cuDNN's convolution algorithm search on CUDA (<c>--cudnn-algo</c>).</summary>
    public CudnnConvAlgoSearch CudnnAlgo { get; init; } = CudnnConvAlgoSearch.Exhaustive;

    /// <summary>More than one combination: one JSON object per line instead of one indented object.</summary>
    public bool IsMatrix => Math.Max(Steps.Count, 1) * Math.Max(Sizes.Count, 1) * Batches.Count > 1;
}

/// <summary>One measured combination.</summary>
internal sealed record BenchShape(int Steps, int Width, int Height, int Batch);

/// <summary>One measured generation.</summary>
internal sealed record PipelineSample(StageTimings Timings, double WallMs, double AllocatedKb, double JpegEncodeMs, int JpegBytes);

/// <summary>The runs of one prompt scenario and their per-stage summaries.</summary>
internal sealed record PipelineScenario(string Kind, IReadOnlyList<PipelineSample> Samples)
{
    public BenchSummary? Total => BenchSummary.Of(Samples.Select(s => s.Timings.TotalMs));

    public void Write(Utf8JsonWriter json, string name)
    {
        json.WriteStartObject(name);
        json.WriteNumber("text_cache_hits", Samples.Count(s => s.Timings.TextCacheHit));
        BenchSummary.Write(json, "tokenize_ms", BenchSummary.Of(Samples.Select(s => s.Timings.TokenizeMs)));
        BenchSummary.Write(json, "text_encode_ms", BenchSummary.Of(Samples.Select(s => s.Timings.TextEncodeMs)));
        BenchSummary.Write(json, "unet_ms", BenchSummary.Of(Samples.Select(s => s.Timings.UnetStepMs.Sum())));
        BenchSummary.Write(json, "unet_step_ms", BenchSummary.Of(Samples.SelectMany(s => s.Timings.UnetStepMs)));
        BenchSummary.Write(json, "decode_ms", BenchSummary.Of(Samples.Select(s => s.Timings.DecodeMs)));
        BenchSummary.Write(json, "total_ms", Total);
        BenchSummary.Write(json, "wall_ms", BenchSummary.Of(Samples.Select(s => s.WallMs)));
        BenchSummary.Write(json, "managed_kb_allocated", BenchSummary.Of(Samples.Select(s => s.AllocatedKb)));
        BenchSummary.Write(json, "jpeg_q85_encode_ms", BenchSummary.Of(Samples.Select(s => s.JpegEncodeMs)));
        json.WriteNumber("jpeg_q85_bytes_mean", Samples.Count == 0 ? 0 : Math.Round(Samples.Average(s => s.JpegBytes)));
        json.WriteEndObject();
    }
}
