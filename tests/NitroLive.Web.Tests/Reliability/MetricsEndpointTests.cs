using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NitroLive.Web.Hubs;
using NitroLive.Web.Telemetry;
using NitroLive.Web.Tests.Live;

namespace NitroLive.Web.Tests.Reliability;

[Collection(SerialTests.Name)]
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task PrometheusScrapeShowsSessionsMembersAndServerMemory()
    {
        await using var host = ReliabilityHost.Start();
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);
        await using var first = await host.NewSessionAsync(cts.Token);
        await using var second = await host.NewSessionAsync(cts.Token);
        await using var viewer = host.NewConnection();
        await viewer.StartAsync(cts.Token);
        await viewer.InvokeAsync<JoinedMessage>("JoinSession", new JoinSessionMessage { SessionId = first.SessionId }, cts.Token);

        var metrics = await ScrapeAsync(host, cts.Token);

        Assert.Equal(2, Value(metrics, "nitrolive_sessions"));
        Assert.Equal(3, Value(metrics, "nitrolive_members"));
        Assert.True(Value(metrics, "dotnet_process_memory_working_set_bytes") > 1_000_000);
        Assert.True(Value(metrics, "signalr_server_active_connections") >= 3);
    }

    [Fact]
    public async Task RecordedFramesAndRefusedCallsReachTheScrape()
    {
        await using var host = ReliabilityHost.Start(settings: new()
        {
            ["NitroLive:Security:HubCallsPerSecond"] = "1",
            ["NitroLive:Security:HubCallBurst"] = "1",
        });
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);
        var metrics = host.Services.GetRequiredService<NitroMetrics>();
        metrics.FrameDelivered(keystrokeToFrameMs: 35);
        metrics.StagesTimed(queueWaitMs: 1, tokenizeMs: 0.1, textEncodeMs: 2, unetMs: 20, decodeMs: 8, generateMs: 31, imageEncodeMs: 0.5);
        metrics.FrameDropped("stale");
        await using var flooder = host.NewConnection();
        await flooder.StartAsync(cts.Token);
        for (var i = 0; i < 5; i++)
        {
            try
            {
                await flooder.InvokeAsync<ServerInfoMessage>("GetServerInfo", cts.Token);
            }
            catch (HubException)
            {
                // Refused: counted below.
            }
        }

        var text = await ScrapeAsync(host, cts.Token);

        Assert.Equal(1, Value(text, "nitrolive_frames_total"));
        Assert.Equal(1, Value(text, "nitrolive_keystroke_to_frame_duration_seconds_count"));
        Assert.Equal(0.035, Value(text, "nitrolive_keystroke_to_frame_duration_seconds_sum"), 6);
        Assert.Contains("nitrolive_stage_duration_seconds_count{otel_scope_name=\"NitroLive\",stage=\"unet\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("nitrolive_frames_dropped_total{otel_scope_name=\"NitroLive\",reason=\"stale\"} 1", text, StringComparison.Ordinal);
        Assert.True(Value(text, "nitrolive_hub_rejected_calls_total") >= 3);
    }

    [Fact]
    public async Task LiveTrafficMovesTheFrameLatencyDropFailureAndGaugeInstruments()
    {
        var generator = new FakeImageGenerator { Gate = new SemaphoreSlim(0), KeyRule = p => p.Trim() };
        await using var host = ReliabilityHost.Start(generator);
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);
        await using var typist = await host.NewSessionAsync(cts.Token);

        // A viewer that never reads its frames: each frame after its first replaces an unread one ("superseded").
        await using var idle = host.NewConnection();
        await idle.StartAsync(cts.Token);
        await idle.InvokeAsync<JoinedMessage>("JoinSession", new JoinSessionMessage { SessionId = typist.SessionId }, cts.Token);

        // The first request is in the generator when the next one arrives: that run is cancelled.
        await generator.NextCallAsync(ReliabilityHost.Timeout);
        var red = await typist.SetPromptAsync("a red", cts.Token);
        await generator.NextCallAsync(ReliabilityHost.Timeout);
        generator.Gate.Release(100);
        await typist.FrameForAsync(red.RequestId, ReliabilityHost.Timeout);
        var circle = await typist.SetPromptAsync("a red circle", cts.Token);
        await typist.FrameForAsync(circle.RequestId, ReliabilityHost.Timeout);

        // A space after the word reads alike: the picture goes out again without a generation (no stage times).
        var spaced = await typist.SetPromptAsync("a red circle ", cts.Token);
        await typist.FrameForAsync(spaced.RequestId, ReliabilityHost.Timeout);
        await typist.SetPromptAsync("a boom", cts.Token);
        while ((await typist.Connection.InvokeAsync<SessionStateMessage>("GetState", typist.SessionId, cts.Token)).LastError is null)
        {
            await Task.Delay(20, cts.Token);
        }

        var text = await ScrapeAsync(host, cts.Token);

        Assert.Equal(5, Value(text, "nitrolive_requests_total"));
        Assert.Equal(3, Value(text, "nitrolive_frames_total"));
        Assert.Equal(1, Value(text, "nitrolive_frames_reused_total"));
        Assert.Equal(3, Value(text, "nitrolive_keystroke_to_frame_duration_seconds_count"));
        Assert.True(Value(text, "nitrolive_keystroke_to_frame_duration_seconds_sum") > 0);
        Assert.Contains("nitrolive_stage_duration_seconds_count{otel_scope_name=\"NitroLive\",stage=\"unet\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("nitrolive_stage_duration_seconds_count{otel_scope_name=\"NitroLive\",stage=\"image_encode\"} 2", text, StringComparison.Ordinal);
        Assert.Equal(2, Value(text, "nitrolive_batch_size_count"));
        Assert.Equal(1, Value(text, "nitrolive_generation_failures_total"));
        Assert.Equal(1, Value(text, "nitrolive_generation_cancelled_total"));
        Assert.True(Value(text, "nitrolive_frames_dropped_total") >= 1);
        Assert.Contains("nitrolive_frames_dropped_total{otel_scope_name=\"NitroLive\",reason=\"superseded\"}", text, StringComparison.Ordinal);
        Assert.Equal(1, Value(text, "nitrolive_sessions"));
        Assert.Equal(2, Value(text, "nitrolive_members"));
        Assert.Equal(0, Value(text, "nitrolive_requests_pending"));

        // "a red" and "a red circle" were generated and kept ("a boom" failed): 64x64 RGB plus the encoded frame each.
        Assert.Equal(2, Value(text, "nitrolive_frame_cache_pictures"));
        Assert.InRange(Value(text, "nitrolive_frame_cache_size_bytes"), 2 * 64 * 64 * 3, 2 * ((64 * 64 * 3) + 4096));
    }

    [Fact]
    public async Task GeneratorBusySecondsCountEachCallForAsLongAsItHeldTheGenerator()
    {
        var generator = new FakeImageGenerator(concurrency: 2) { Gate = new SemaphoreSlim(0) };
        await using var host = ReliabilityHost.Start(generator);
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);
        await using var typist = await host.NewSessionAsync(cts.Token);
        await generator.NextCallAsync(ReliabilityHost.Timeout);
        var before = Value(await ScrapeAsync(host, cts.Token), "nitrolive_generator_busy_seconds_total");

        // The session's first request holds a generator for at least this long before it may finish.
        var held = TimeSpan.FromMilliseconds(600);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(held, cts.Token);
        generator.Gate.Release(10);
        var state = await typist.Connection.InvokeAsync<SessionStateMessage>("GetState", typist.SessionId, cts.Token);
        await typist.FrameForAsync(state.RequestId, ReliabilityHost.Timeout);
        var text = await ScrapeAsync(host, cts.Token);
        var elapsed = clock.Elapsed;

        // Nothing had ended before the first scrape (the call was still held; the series may not exist yet, NaN): the
        // whole call is counted once it ends.
        Assert.False(before > 0);
        Assert.InRange(Value(text, "nitrolive_generator_busy_seconds_total"), held.TotalSeconds, elapsed.TotalSeconds + 1);
        Assert.Equal(2, Value(text, "nitrolive_generator_instances"));
    }

    private static async Task<string> ScrapeAsync(ReliabilityHost host, CancellationToken cancellationToken)
    {
        using var http = host.NewHttpClient();

        // The exporter caches a scrape briefly; a gauge observed before the sessions existed must not be read.
        await Task.Delay(TimeSpan.FromMilliseconds(400), cancellationToken);
        return await http.GetStringAsync(new Uri(TelemetryExtensions.MetricsPath.TrimStart('/'), UriKind.Relative), cancellationToken);
    }

    // The sum of every sample of a metric (labels summed over).
    private static double Value(string exposition, string name) =>
        Regex.Matches(exposition, $@"^{Regex.Escape(name)}(?:\{{[^}}]*\}})? (\S+)", RegexOptions.Multiline)
            .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .DefaultIfEmpty(double.NaN)
            .Sum();
}
