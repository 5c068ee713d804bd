using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NitroLive.Web.Hubs;
using NitroLive.Web.Telemetry;

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
