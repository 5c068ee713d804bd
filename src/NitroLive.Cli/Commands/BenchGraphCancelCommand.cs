using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NitroLive.Cli.CommandLine;
using NitroLive.Core.Models;
using NitroLive.Core.Pipeline;

namespace NitroLive.Cli.Commands;

/// <summary>
/// <c>nitrolive bench graph-cancel</c>: checks that a cancel during a shape's first UNet runs (where ONNX Runtime captures
/// the CUDA graph) leaves a whole graph behind. Each of those runs is cancelled part way; later frames of the shape must
/// then come from the same per-shape session (no fallback) with the shared session's pixels, and a cancel after the
/// capture must still stop a frame. On the CPU the same path runs without a graph (the per-shape session is forced), which
/// is how CI tests it; the check means most on CUDA, where a partial capture would replay a partial UNet.
/// </summary>
internal static class BenchGraphCancelCommand
{
    internal const string UsageLine =
        "usage: bench graph-cancel [--model DIR] [--size WxH] [--batch N] [--steps N] [--cancel-after-ms MS] [--replays N] [--provider auto|cpu|cuda]";

    /// <summary>
    /// A partial UNet replayed gives pictures unlike the shared session's everywhere; fixed-shape kernels and fp16 move a
    /// few pixels by a few levels. So the mean difference is what decides, the maximum is reported.
    /// </summary>
    internal const double MaxMeanDifference = 1.0;

    private static readonly CliOption<string?> Model = CliOptions.Text("--model", "a model folder");
    private static readonly CliOption<(int Width, int Height)?> Size = CliOptions.Size("--size", 8, 4096);
    private static readonly CliOption<int?> Batch = CliOptions.Int("--batch", 1, 64);
    private static readonly CliOption<int?> Steps = CliOptions.Int("--steps", 1, 4);
    private static readonly CliOption<int?> CancelAfterMs = CliOptions.Int("--cancel-after-ms", 0, 10_000);
    private static readonly CliOption<int?> Replays = CliOptions.Int("--replays", 1, 100);
    private static readonly CliOption<ProviderPreference?> Provider = CliOptions.Provider();
    private static readonly CommandSyntax Syntax = new(Model, Size, Batch, Steps, CancelAfterMs, Replays, Provider);

    private static readonly string[] Prompts = ["a red circle on a blue background", "a green triangle at the top", "two yellow squares", "a white circle at the bottom left"];

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!CommandStart.TryParse<GraphCancelSettings>("bench graph-cancel", UsageLine, args, TryParse, output, error, out var settings, out var exitCode))
        {
            return exitCode;
        }

        using var logging = CliLogging.Create(LogLevel.Warning);
        try
        {
            var report = await CheckAsync(settings, logging, error, cancellationToken);
            await output.WriteLineAsync(report.ToJson());
            return report.Passed ? 0 : 1;
        }
        catch (ModelValidationException ex)
        {
            return await ModelFolderErrors.ReportAsync(error, "nitrolive bench graph-cancel", ex);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"nitrolive bench graph-cancel: {ex.Message}");
            return 2;
        }
        catch (InvalidOperationException ex)
        {
            await error.WriteLineAsync($"nitrolive bench graph-cancel: {ex.Message}");
            return 1;
        }
    }

    internal static bool TryParse(string[] args, out GraphCancelSettings settings, [NotNullWhen(false)] out string? error)
    {
        settings = null!;
        if (!Syntax.TryParse(args, out var options, out error))
        {
            return false;
        }

        settings = new GraphCancelSettings(options.Get(Model) ?? EmbeddedModel.DefaultDirectory, options.Get(Size), options.Get(Batch) ?? 4,
            options.Get(Steps) ?? 1, options.Get(CancelAfterMs) ?? 5, options.Get(Replays) ?? 3, options.Get(Provider) ?? ProviderPreference.Auto);
        return true;
    }

    private static async Task<GraphCancelReport> CheckAsync(GraphCancelSettings settings, ILoggerFactory logging, TextWriter error, CancellationToken cancellationToken)
    {
        var baseOptions = new PipelineOptions
        {
            ModelDirectory = settings.Model,
            Provider = settings.Provider,
            KeepLatentsOnDevice = true,
        };

        // The reference first, on the shared UNet session, and closed before the graph pipeline opens: two SDXL UNets
        // need not share the device.
        byte[][] expected;
        GenerationRequest[] requests;
        using (var reference = new NitroPipeline(baseOptions, logging))
        {
            requests = Requests(reference.Model, settings);
            await error.WriteLineAsync($"nitrolive bench graph-cancel: reference, batch {requests.Length} at {requests[0].Width}x{requests[0].Height} on {reference.Provider}");
            expected = [.. (await reference.GenerateAsync(requests, cancellationToken)).Select(r => r.Rgb)];
        }

        // The hook arms a timer as the attempt's first per-shape UNet run starts, so the cancel lands inside that run (on a
        // GPU a UNet run of an SDXL-size model is longer than the default 5 ms); 0 cancels before the run starts. Once per
        // attempt: a timer restarted at every step would let a short run end before it and land in a later one.
        CancellationTokenSource? armed = null;
        var delay = TimeSpan.FromMilliseconds(settings.CancelAfterMs);
        using var pipeline = new NitroPipeline(baseOptions with
        {
            UseCudaGraphs = true,
            ForceShapeSessions = true,
            BeforeShapeRun = () =>
            {
                if (Interlocked.Exchange(ref armed, null) is { } source)
                {
                    if (delay == TimeSpan.Zero)
                    {
                        source.Cancel();
                    }
                    else
                    {
                        source.CancelAfter(delay);
                    }
                }
            },
        }, logging);
        var (batch, width, height) = (requests.Length, requests[0].Width, requests[0].Height);
        var report = new GraphCancelReport(settings, pipeline.Provider, pipeline.Provider == "CUDA", batch, width, height);

        // Every run up to and including the capture, each cancelled part way.
        UnetShapeSession? shape = null;
        for (var run = 0; run < NitroPipeline.CudaGraphWarmUpRuns; run++)
        {
            report.Cancels.Add(await CancelledAttemptAsync());
        }

        // Replays: the same pictures as the shared session's, from the session the cancels left.
        for (var replay = 0; replay < settings.Replays; replay++)
        {
            var results = await pipeline.GenerateAsync(requests, cancellationToken);
            report.Replays.Add(PixelDifference.Of(expected, [.. results.Select(r => r.Rgb)]));
        }

        // After the capture a cancel stops the frame (Terminate); the next frame is still whole. The cancel comes before
        // the run starts: a replay of a small model can end within any delay (GPU run 6: 4.6 ms for the embedded model's
        // whole frame against a 1 ms timer).
        delay = TimeSpan.Zero;
        report.AfterCapture = await CancelledAttemptAsync();
        report.Final = PixelDifference.Of(expected, [.. (await pipeline.GenerateAsync(requests, cancellationToken)).Select(r => r.Rgb)]);

        var now = pipeline.ShapeSessionFor(batch, width, height);
        report.ShapeSessionKept = shape is not null && ReferenceEquals(now, shape) && !shape.IsDisposed;
        report.ShapeRuns = now?.Runs ?? 0;
        return report;

        // One generation with the hook armed: whether it ended cancelled, and how many runs of the shape's session it made.
        async Task<CancelAttempt> CancelledAttemptAsync()
        {
            var runsBefore = shape?.Runs ?? 0;
            using var source = new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(source.Token, cancellationToken);
            armed = source;
            var cancelled = false;
            var clock = Stopwatch.StartNew();
            try
            {
                await pipeline.GenerateAsync(requests, linked.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
            }
            finally
            {
                armed = null;
            }

            var ms = clock.Elapsed.TotalMilliseconds;
            shape ??= pipeline.ShapeSessionFor(batch, width, height);
            return new CancelAttempt(runsBefore, cancelled, (shape?.Runs ?? 0) - runsBefore, ms);
        }
    }

    private static GenerationRequest[] Requests(ModelDescription model, GraphCancelSettings settings)
    {
        var (width, height) = settings.Size ?? (model.NativeWidth, model.NativeHeight);
        var batch = Math.Min(settings.Batch, model.MaxBatch);
        return [.. Enumerable.Range(0, batch).Select(i => new GenerationRequest(Prompts[i % Prompts.Length], settings.Steps, 700 + i, width, height))];
    }
}

/// <summary>What <c>bench graph-cancel</c> checks.</summary>
internal sealed record GraphCancelSettings(
    string Model, (int Width, int Height)? Size, int Batch, int Steps, int CancelAfterMs, int Replays, ProviderPreference Provider);

/// <summary>One generation cancelled during a per-shape UNet run: whether it ended cancelled, and how many runs it made.</summary>
internal sealed record CancelAttempt(int RunsBefore, bool Cancelled, int RunsMade, double Ms);

/// <summary>How far a batch of pictures is from the expected one, in 8-bit levels over every channel.</summary>
internal sealed record PixelDifference(int Max, double Mean, double Over8)
{
    public static PixelDifference Of(byte[][] expected, byte[][] actual)
    {
        var max = 0;
        long sum = 0, over8 = 0, count = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var (a, b) = (expected[i], actual[i]);
            for (var j = 0; j < a.Length; j++)
            {
                var d = Math.Abs(a[j] - b[j]);
                max = Math.Max(max, d);
                sum += d;
                over8 += d > 8 ? 1 : 0;
            }

            count += a.Length;
        }

        return new PixelDifference(max, count == 0 ? 0 : (double)sum / count, count == 0 ? 0 : (double)over8 / count);
    }

    public void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteNumber("max_levels", Max);
        json.WriteNumber("mean_levels", Math.Round(Mean, 4));
        json.WriteNumber("share_over_8_levels", Math.Round(Over8, 6));
        json.WriteEndObject();
    }
}

/// <summary>The outcome of <c>bench graph-cancel</c>, printed as one JSON object.</summary>
internal sealed class GraphCancelReport(GraphCancelSettings settings, string provider, bool cudaGraphs, int batch, int width, int height)
{
    public List<CancelAttempt> Cancels { get; } = [];

    public List<PixelDifference> Replays { get; } = [];

    public CancelAttempt? AfterCapture { get; set; }

    public PixelDifference? Final { get; set; }

    public bool ShapeSessionKept { get; set; }

    public int ShapeRuns { get; set; }

    /// <summary>
    /// Every cancel before the capture ended its frame after one whole run; the session stayed; every later picture is the
    /// shared session's; and the cancel after the capture stopped its frame before its run (Terminate, as for any run then).
    /// </summary>
    public bool Passed =>
        Cancels.Count > 0 && Cancels.All(c => c.Cancelled && c.RunsMade == 1) && ShapeSessionKept && AfterCapture is { Cancelled: true, RunsMade: 0 }
        && Replays.Append(Final!).All(d => d is not null && d.Mean <= BenchGraphCancelCommand.MaxMeanDifference);

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("model_dir", Path.GetFullPath(settings.Model));
            json.WriteString("provider", provider);
            json.WriteBoolean("cuda_graphs", cudaGraphs);
            json.WriteNumber("batch", batch);
            json.WriteNumber("width", width);
            json.WriteNumber("height", height);
            json.WriteNumber("steps", settings.Steps);
            json.WriteNumber("cancel_after_ms", settings.CancelAfterMs);
            json.WriteStartArray("cancels_during_capture");
            foreach (var cancel in Cancels)
            {
                WriteAttempt(json, cancel);
            }

            json.WriteEndArray();
            json.WriteStartArray("replays_against_shared_session");
            foreach (var replay in Replays)
            {
                replay.Write(json);
            }

            json.WriteEndArray();
            json.WritePropertyName("cancel_after_capture");
            if (AfterCapture is { } after)
            {
                WriteAttempt(json, after);
            }
            else
            {
                json.WriteNullValue();
            }

            json.WritePropertyName("final_against_shared_session");
            if (Final is { } final)
            {
                final.Write(json);
            }
            else
            {
                json.WriteNullValue();
            }

            json.WriteBoolean("shape_session_kept", ShapeSessionKept);
            json.WriteNumber("shape_runs", ShapeRuns);
            json.WriteNumber("max_mean_levels", BenchGraphCancelCommand.MaxMeanDifference);
            json.WriteBoolean("passed", Passed);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteAttempt(Utf8JsonWriter json, CancelAttempt attempt)
    {
        json.WriteStartObject();
        json.WriteNumber("shape_runs_before", attempt.RunsBefore);
        json.WriteBoolean("cancelled", attempt.Cancelled);
        json.WriteNumber("shape_runs_made", attempt.RunsMade);
        json.WriteNumber("ms", Math.Round(attempt.Ms, 1));
        json.WriteEndObject();
    }
}
