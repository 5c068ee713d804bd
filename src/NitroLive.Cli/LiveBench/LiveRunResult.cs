using System.Text.Json;
using NitroLive.Cli.Commands;

namespace NitroLive.Cli.LiveBench;

/// <summary>One mode's measurements, summed over typists.</summary>
internal sealed record LiveRunResult(
    string Mode,
    int Clients,
    double ElapsedSeconds,
    int Frames,
    BenchSummary? FpsPerClient,
    int Keystrokes,
    int PromptsCompleted,
    int PromptsTimedOut,
    int SkippedRequests,
    int RejectedCalls,
    int StaleFrames,
    int ReusedFrames,
    int Typos,
    int BackspaceFramesReused,
    BenchSummary? BackspaceToFrame,
    int WrongPromptFrames,
    int MaxBatch,
    BenchSummary? KeystrokeToFrame,
    BenchSummary? KeystrokeToFullFrame,
    BenchSummary? FinalPipeline,
    BenchSummary? FinalQueueWait,
    BenchSummary? FinalServer,
    BenchSummary? FinalOutsideServer,
    BenchSummary? Pipeline,
    BenchSummary? RequestToFrame,
    BenchSummary? LivePath,
    BenchSummary? LivePathInServer,
    BenchSummary? LivePathOutsideServer,
    BenchSummary? QueueWait,
    BenchSummary? Transport,
    ServerScrape? MemoryBefore,
    ServerScrape? MemoryAfter,
    IReadOnlyList<ServerScrape> MemorySamples,
    double? GeneratorUtilization,
    IReadOnlyList<string> Errors)
{
    public static LiveRunResult From(string mode, LiveBenchSettings settings, IReadOnlyList<LiveTypist> typists, TimeSpan elapsed,
        ServerScrape? before, ServerScrape? after, IReadOnlyList<ServerScrape> samples, double? generatorUtilization = null) => new(
        mode,
        settings.Clients,
        elapsed.TotalSeconds,
        typists.Sum(t => t.Frames),
        BenchSummary.Of(typists.Select(t => t.Frames / elapsed.TotalSeconds)),
        typists.Sum(t => t.Keystrokes),
        typists.Sum(t => t.PromptsCompleted),
        typists.Sum(t => t.PromptsTimedOut),
        typists.Sum(t => t.SkippedRequests),
        typists.Sum(t => t.RejectedCalls),
        typists.Sum(t => t.StaleFrames),
        typists.Sum(t => t.ReusedFrames),
        typists.Sum(t => t.Typos),
        typists.Sum(t => t.BackspaceFramesReused),
        BenchSummary.Of(typists.SelectMany(t => t.BackspaceToFrameMs)),
        typists.Sum(t => t.WrongPromptFrames),
        typists.Max(t => t.MaxBatch),
        BenchSummary.Of(typists.SelectMany(t => t.KeystrokeToFrameMs)),
        BenchSummary.Of(typists.SelectMany(t => t.KeystrokeToFullFrameMs)),
        BenchSummary.Of(typists.SelectMany(t => t.FinalPipelineMs)),
        BenchSummary.Of(typists.SelectMany(t => t.FinalQueueWaitMs)),
        BenchSummary.Of(typists.SelectMany(t => t.FinalServerMs)),
        BenchSummary.Of(typists.SelectMany(t => t.FinalOutsideServerMs)),
        BenchSummary.Of(typists.SelectMany(t => t.PipelineMs)),
        BenchSummary.Of(typists.SelectMany(t => t.RequestToFrameMs)),
        BenchSummary.Of(typists.SelectMany(t => t.LivePathMs)),
        BenchSummary.Of(typists.SelectMany(t => t.LivePathInServerMs)),
        BenchSummary.Of(typists.SelectMany(t => t.LivePathOutsideServerMs)),
        BenchSummary.Of(typists.SelectMany(t => t.QueueWaitMs)),
        BenchSummary.Of(typists.SelectMany(t => t.TransportMs)),
        before,
        after,
        samples,
        generatorUtilization,
        typists.SelectMany(t => t.Errors).Distinct(StringComparer.Ordinal).Take(10).ToList());

    public void Write(Utf8JsonWriter json, LiveBenchSettings settings)
    {
        json.WriteStartObject();
        json.WriteString("mode", Mode);
        json.WriteString("url", settings.Url.ToString());
        json.WriteString("protocol", settings.Protocol);
        json.WriteNumber("clients", Clients);
        json.WriteNumber("duration_s", BenchSummary.Round(ElapsedSeconds));
        json.WriteNumber("warmup_s", settings.Warmup.TotalSeconds);
        json.WriteNumber("cadence_ms", settings.CadenceMs);
        json.WriteNumber("jitter_percent", settings.JitterPercent);
        json.WriteNumber("pause_ms", settings.PauseMs);
        if (settings.Steps is { } steps)
        {
            json.WriteNumber("steps", steps);
        }

        if (settings.Drafts is { } drafts)
        {
            json.WriteBoolean("drafts", drafts);
        }

        json.WriteNumber("frames", Frames);
        json.WriteNumber("fps_total", BenchSummary.Round(Frames / ElapsedSeconds));
        BenchSummary.Write(json, "fps_per_client", FpsPerClient);
        json.WriteNumber("keystrokes", Keystrokes);
        json.WriteNumber("prompts_completed", PromptsCompleted);
        json.WriteNumber("prompts_timed_out", PromptsTimedOut);
        json.WriteNumber("skipped_requests", SkippedRequests);
        json.WriteNumber("rejected_calls", RejectedCalls);
        json.WriteNumber("stale_frames", StaleFrames);
        json.WriteNumber("reused_frames", ReusedFrames);
        json.WriteNumber("typos_percent", settings.TyposPercent);
        json.WriteNumber("typos", Typos);
        BenchSummary.Write(json, "backspace_to_frame_ms", BackspaceToFrame);
        json.WriteNumber("backspace_frames_reused", BackspaceFramesReused);
        json.WriteNumber("wrong_prompt_frames", WrongPromptFrames);
        json.WriteNumber("max_batch", MaxBatch);
        BenchSummary.Write(json, "keystroke_to_frame_ms", KeystrokeToFrame);

        // With drafts: a prompt's last keystroke to its full-step picture (the draft is the frame above).
        BenchSummary.Write(json, "keystroke_to_full_frame_ms", KeystrokeToFullFrame);
        BenchSummary.Write(json, "pipeline_ms_of_final_frames", FinalPipeline);

        // Where a final keystroke's time went: waiting for a generator, the server's whole part (queue, generation,
        // encoding), and the rest (the hub call in and the frame out, both ends' scheduling included).
        json.WriteStartObject("final_frames_ms");
        BenchSummary.Write(json, "queue_wait", FinalQueueWait);
        BenchSummary.Write(json, "server_accept_to_ready", FinalServer);
        BenchSummary.Write(json, "outside_server", FinalOutsideServer);
        json.WriteEndObject();
        BenchSummary.Write(json, "pipeline_ms_all_frames", Pipeline);
        BenchSummary.Write(json, "request_to_frame_ms", RequestToFrame);

        // The live path's own cost per generated request (its first frame), whatever the generation took: in the server
        // around the generation (queue, hand-over, encode) and outside it (the hub call in and the frame out, both ends).
        json.WriteStartObject("live_path_ms");
        BenchSummary.Write(json, "total", LivePath);
        BenchSummary.Write(json, "in_server", LivePathInServer);
        BenchSummary.Write(json, "outside_server", LivePathOutsideServer);
        json.WriteEndObject();
        BenchSummary.Write(json, "queue_wait_ms", QueueWait);
        BenchSummary.Write(json, "frame_ready_to_client_ms", Transport);

        // End-to-end over the pipeline's own time for the same frames (the final frame of each prompt).
        BenchSummary.WriteRatio(json, "overhead_ratio", KeystrokeToFrame?.P50, FinalPipeline?.P50);
        BenchSummary.WriteRatio(json, "request_overhead_ratio", RequestToFrame?.P50, Pipeline?.P50);

        // The share of the measured time the server's generators were busy (its metrics, null when not scraped):
        // where it nears 1 a keystroke usually waits for a generator, whatever the live path does.
        if (GeneratorUtilization is { } busy)
        {
            json.WriteNumber("generator_utilization", Math.Round(busy, 3));
        }
        else
        {
            json.WriteNull("generator_utilization");
        }

        // Issue 3's fairness target: each typist's final frame within (clients / batch + 1) generation times.
        var batch = Math.Max(1, MaxBatch);
        json.WriteNumber("final_frame_target_generations", BenchSummary.Round(((double)Clients / batch) + 1));
        BenchSummary.WriteRatio(json, "final_frame_generations_p99", KeystrokeToFrame?.P99, Pipeline?.P50);
        BenchSummary.WriteRatio(json, "final_frame_generations_max", KeystrokeToFrame?.Max, Pipeline?.P50);

        json.WriteStartObject("server_memory");
        ServerScrape.Write(json, "before", MemoryBefore);
        ServerScrape.Write(json, "after", MemoryAfter);
        json.WriteStartArray("working_set_mb_every_10s");
        foreach (var sample in MemorySamples)
        {
            ServerScrape.WriteNumber(json, sample.WorkingSetMb);
        }

        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteStartArray("errors");
        foreach (var message in Errors)
        {
            json.WriteStringValue(message);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
