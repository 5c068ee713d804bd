using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NitroLive.Web.Hubs;

namespace NitroLive.Web.Tests.Reliability;

public sealed class HubRateLimitTests
{
    [Fact]
    public async Task AFloodingConnectionIsRefusedWithAClearErrorWhileOtherConnectionsCarryOn()
    {
        await using var host = ReliabilityHost.Start(settings: new()
        {
            ["NitroLive:Security:HubCallsPerSecond"] = "10",
            ["NitroLive:Security:HubCallBurst"] = "20",
        });
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);
        await using var other = await host.NewSessionAsync(cts.Token);
        await using var flooder = host.NewConnection();
        await flooder.StartAsync(cts.Token);

        var clock = Stopwatch.StartNew();
        var calls = Enumerable.Range(0, 200).Select(_ => Outcome(flooder.InvokeAsync<ServerInfoMessage>("GetServerInfo", cts.Token))).ToList();

        // While the flood is refused, the other connection types and gets the frame of exactly what it typed.
        var accepted = await other.SetPromptAsync("a red circle on a blue background", cts.Token);
        var frame = await other.FrameForAsync(accepted.RequestId, ReliabilityHost.Timeout);
        var outcomes = await Task.WhenAll(calls);
        var elapsed = clock.Elapsed.TotalSeconds;

        var refused = outcomes.Where(o => o is not null).ToList();
        var served = outcomes.Count(o => o is null);
        Assert.Equal(accepted.RequestId, frame.RequestId);
        Assert.NotEmpty(refused);
        // SignalR prefixes a HubException's message with "An unexpected error occurred invoking 'X' on the server.".
        Assert.All(refused, message => Assert.Contains("HubException: rate_limited: ", message, StringComparison.Ordinal));
        Assert.InRange(served, 20, 20 + (int)Math.Ceiling(10 * elapsed) + 1);

        // The flooder is still connected and, once its bucket refills, served again.
        Assert.Equal(HubConnectionState.Connected, flooder.State);
        await Task.Delay(TimeSpan.FromSeconds(1.2), cts.Token);
        var info = await flooder.InvokeAsync<ServerInfoMessage>("GetServerInfo", cts.Token);
        Assert.Equal(1, info.ProtocolVersion);
    }

    // Refusing is cheap; a log line per refused call would make the limit a way to fill the server's disk.
    [Fact]
    public async Task AFloodingConnectionIsReportedOnceNotOncePerRefusedCall()
    {
        var logs = new CapturedLogs(LogLevel.Warning);
        await using var host = ReliabilityHost.Start(
            settings: new() { ["NitroLive:Security:HubCallsPerSecond"] = "10", ["NitroLive:Security:HubCallBurst"] = "10" },
            configure: services => services.AddSingleton<ILoggerProvider>(logs));
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);
        await using var flooder = host.NewConnection();
        await flooder.StartAsync(cts.Token);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 150).Select(_ => Outcome(flooder.InvokeAsync<ServerInfoMessage>("GetServerInfo", cts.Token))));

        Assert.True(outcomes.Count(o => o is not null) >= 100, "the flood was not refused");
        var report = Assert.Single(logs.Lines(4000));
        Assert.Contains("GetServerInfo refused", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TypingAtHumanSpeedIsNeverRefusedByTheDefaultLimit()
    {
        await using var host = ReliabilityHost.Start();
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);
        await using var typist = await host.NewSessionAsync(cts.Token);

        // 20 keystrokes per second (a fast typist without debounce) for two seconds.
        const string text = "three small purple circles on a white background";
        RequestAcceptedMessage last = null!;
        for (var i = 1; i <= 40; i++)
        {
            last = await typist.SetPromptAsync(text[..Math.Min(i, text.Length)], cts.Token);
            await Task.Delay(50, cts.Token);
        }

        var frame = await typist.FrameForAsync(last.RequestId, ReliabilityHost.Timeout);
        Assert.Equal(last.RequestId, frame.RequestId);
    }

    private static async Task<string?> Outcome(Task call)
    {
        try
        {
            await call;
            return null;
        }
        catch (HubException ex)
        {
            return ex.Message;
        }
    }
}
