using System.Runtime;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NitroLive.Web.Hubs;
using NitroLive.Web.Live;
using NitroLive.Web.Tests.Live;
using Xunit.Abstractions;

namespace NitroLive.Web.Tests.Reliability;

[Collection(SerialTests.Name)]
public sealed class ConnectionChurnTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ADisconnectLeavesTheConnectionsSessionsAndSaysHowMany()
    {
        var logs = new CapturedLogs(LogLevel.Debug);
        await using var host = ReliabilityHost.Start(
            settings: new() { ["Logging:LogLevel:NitroLive.Web.Hubs"] = "Debug" },
            configure: services => services.AddSingleton<ILoggerProvider>(logs));
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);
        var connection = host.NewConnection();
        await connection.StartAsync(cts.Token);
        await connection.InvokeAsync<JoinedMessage>("CreateSession", new CreateSessionMessage(), cts.Token);
        await connection.InvokeAsync<JoinedMessage>("CreateSession", new CreateSessionMessage(), cts.Token);

        await connection.DisposeAsync();

        while (logs.Lines(1051).Count == 0)
        {
            await Task.Delay(20, cts.Token);
        }

        Assert.Contains("left 2 session(s)", Assert.Single(logs.Lines(1051)), StringComparison.Ordinal);
    }

    // What a leak of per-connection state looks like is server objects that outlive their connection. Those are
    // counted directly: every session the cycles create is tracked by a weak reference, and after the cycles every one
    // of them must be collectable (a member, a hub membership table or a queue entry still holding on to it would pin
    // it). The managed heap is reported beside it, measured after compacting collections, but only bounded loosely: it
    // also holds the in-process clients and Kestrel's and SignalR's pools, which moved 0.3 to 39 MB between runs.
    [Fact]
    public async Task FiveHundredConnectDisconnectCyclesLeaveTheServerHealthyWithBoundedMemory()
    {
        await using var host = ReliabilityHost.Start();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var registry = host.Services.GetRequiredService<LiveSessionRegistry>();
        var ready = host.Services.GetRequiredService<ReadyQueue>();

        // Warm-up cycles first, so JIT, pools and caches are not counted as growth.
        await CyclesAsync(host, registry, 50, [], cts.Token);
        await LiveTestExtensions.WaitUntilAsync(() => registry.Count == 0, "the warm-up sessions to end", ReliabilityHost.Timeout, cts.Token);
        var before = SettledManagedBytes();

        var sessions = new List<WeakReference>(500);
        await CyclesAsync(host, registry, 500, sessions, cts.Token);
        await LiveTestExtensions.WaitUntilAsync(() => registry.Count == 0 && ready.Count == 0, "every session to end", ReliabilityHost.Timeout, cts.Token);
        var alive = await AliveAfterCollectionsAsync(sessions, cts.Token);
        var after = SettledManagedBytes();

        var growthMb = (after - before) / 1048576.0;
        output.WriteLine($"sessions created {sessions.Count}, still alive after collection {alive}; managed heap before {before / 1048576.0:F1} MB, after 500 cycles {after / 1048576.0:F1} MB (growth {growthMb:F1} MB)");
        Assert.Equal(500, sessions.Count);

        // The generation loop may still hold its last batch (one session) in a local until the next one comes.
        Assert.True(alive <= 1, $"{alive} of 500 sessions are still referenced after their connections ended");
        Assert.True(growthMb < 64, $"the managed heap grew {growthMb:F1} MB over 500 cycles");

        using var http = host.NewHttpClient();
        using var health = await http.GetAsync(new Uri("healthz", UriKind.Relative), cts.Token);
        Assert.True(health.IsSuccessStatusCode);
        await using var client = await host.NewSessionAsync(cts.Token);
        var accepted = await client.SetPromptAsync("a red circle on a blue background", cts.Token);
        Assert.Equal(accepted.RequestId, (await client.FrameForAsync(accepted.RequestId, ReliabilityHost.Timeout)).RequestId);
    }

    private static async Task CyclesAsync(ReliabilityHost host, LiveSessionRegistry registry, int cycles, List<WeakReference> created, CancellationToken cancellationToken)
    {
        for (var i = 0; i < cycles; i++)
        {
            await using var connection = host.NewConnection(messagePack: i % 2 == 0);
            await connection.StartAsync(cancellationToken);
            var joined = await connection.InvokeAsync<JoinedMessage>("CreateSession", new CreateSessionMessage(), cancellationToken);
            created.Add(Track(registry, joined.SessionId));

            // Every few cycles the client also types, or starts reading frames, and then vanishes mid-stream.
            if (i % 3 == 0)
            {
                await connection.InvokeAsync<RequestAcceptedMessage>("SetPrompt", joined.SessionId, "a small yellow square " + i, cancellationToken);
            }

            if (i % 5 == 0)
            {
                using var stream = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                await using var frames = connection.StreamAsync<FrameMessage>("Frames", joined.SessionId, stream.Token).GetAsyncEnumerator(stream.Token);
                _ = await frames.MoveNextAsync();
            }
        }
    }

    // Not inlined into the async loop, so no state machine field keeps the last session reachable.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference Track(LiveSessionRegistry registry, string sessionId) =>
        new(registry.Find(sessionId) ?? throw new InvalidOperationException("The session just created is not in the registry."));

    // Disconnects finish on the server a little after the client returns: collect until nothing more goes, bounded.
    private static async Task<int> AliveAfterCollectionsAsync(List<WeakReference> tracked, CancellationToken cancellationToken)
    {
        var alive = tracked.Count;
        for (var attempt = 0; attempt < 50 && alive > 1; attempt++)
        {
            SettledManagedBytes();
            alive = tracked.Count(w => w.IsAlive);
            await Task.Delay(100, cancellationToken);
        }

        return alive;
    }

    private static long SettledManagedBytes()
    {
        for (var i = 0; i < 3; i++)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
