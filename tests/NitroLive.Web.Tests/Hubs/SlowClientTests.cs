using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using NitroLive.Web.Live;
using NitroLive.Web.Tests.Live;

namespace NitroLive.Web.Tests.Hubs;

/// <summary>Runs alone: it measures process memory, which parallel tests would disturb.</summary>
[CollectionDefinition(nameof(SlowClientTests), DisableParallelization = true)]
public sealed class SlowClientsRunAlone;

[Collection(nameof(SlowClientTests))]
public sealed class SlowClientTests
{
    private const char RecordSeparator = '\u001e';

    [Fact]
    public async Task AClientThatStopsReadingDoesNotGrowServerMemory()
    {
        // 512x512 noise makes ~200 KB JPEGs (~265 KB as base64 JSON): 150 of them would be ~40 MB if anything queued.
        var generator = new FakeImageGenerator { Noisy = true };
        // The frame cache off: it may hold up to its own bound of these pictures, which is not what this test watches.
        await using var app = await LiveAppFactory.StartAsync(generator, new()
        {
            ["NitroLive:Live:HubSendTimeoutSeconds"] = "120",
            ["NitroLive:Live:FrameCacheMegabytes"] = "0",
        });
        await using var owner = await app.ConnectAsync(messagePack: true);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var session = await owner.InvokeAsync<Web.Hubs.JoinedMessage>(
            "CreateSession",
            new Web.Hubs.CreateSessionMessage { Initial = new Web.Hubs.RequestPatchMessage { Prompt = "noise", Width = 512, Height = 512 } },
            cts.Token);
        await using var ownerFrames = new FrameRecorder(owner, session.SessionId);
        var first = await ownerFrames.WaitForRequestAsync(1);
        Assert.True(first.Image.Length > 150_000, $"frame is only {first.Image.Length} bytes");

        // A raw WebSocket client that joins, opens the frame stream and then never reads again.
        using var stalled = await StallingViewerAsync(app, session.SessionId, cts.Token);

        var registry = app.GetService<LiveSessionRegistry>();
        var liveSession = registry.Find(session.SessionId)!;
        long baseline = 0;
        for (var i = 0; i < 150; i++)
        {
            var accepted = await owner.InvokeAsync<Web.Hubs.RequestAcceptedMessage>("SetPrompt", session.SessionId, "noise " + i, cts.Token);
            await ownerFrames.WaitForRequestAsync(accepted.RequestId);
            ownerFrames.Received.Clear();
            if (i == 20)
            {
                // By now the socket buffers between server and the stalled client are full.
                baseline = TotalMemoryAfterCollection();
            }
        }

        var after = TotalMemoryAfterCollection();
        var mailboxes = liveSession.MailboxStats();

        Assert.True(after - baseline < 15_000_000, $"server memory grew by {(after - baseline) / 1_000_000.0:F1} MB over 130 frames");
        Assert.All(mailboxes, m => Assert.True(m.Pending <= 1));
        Assert.Contains(mailboxes, m => m.Skipped >= 100);
        Assert.Equal(2, mailboxes.Count);
    }

    [Fact]
    public async Task AClientThatStopsReadingIsDisconnectedAfterTheSendTimeoutAndOthersCarryOn()
    {
        var generator = new FakeImageGenerator { Noisy = true };
        await using var app = await LiveAppFactory.StartAsync(generator, new() { ["NitroLive:Live:HubSendTimeoutSeconds"] = "2" });
        await using var owner = await app.ConnectAsync(messagePack: true);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var session = await owner.InvokeAsync<Web.Hubs.JoinedMessage>(
            "CreateSession",
            new Web.Hubs.CreateSessionMessage { Initial = new Web.Hubs.RequestPatchMessage { Prompt = "noise", Width = 512, Height = 512 } },
            cts.Token);
        await using var ownerFrames = new FrameRecorder(owner, session.SessionId);
        using var stalled = await StallingViewerAsync(app, session.SessionId, cts.Token);
        var liveSession = app.GetService<LiveSessionRegistry>().Find(session.SessionId)!;
        Assert.Equal(2, liveSession.MemberCount);

        // Keep frames coming until the server gives up on the stalled client (its blocked send times out).
        for (var i = 0; liveSession.MemberCount > 1; i++)
        {
            Assert.True(i < 2000, "the stalled client was never disconnected");
            var accepted = await owner.InvokeAsync<Web.Hubs.RequestAcceptedMessage>("SetPrompt", session.SessionId, "noise " + i, cts.Token);
            await ownerFrames.WaitForRequestAsync(accepted.RequestId);
        }

        var last = await owner.InvokeAsync<Web.Hubs.RequestAcceptedMessage>("SetPrompt", session.SessionId, "after", cts.Token);
        Assert.Equal("after", (await ownerFrames.WaitForRequestAsync(last.RequestId)).Request.Prompt);
    }

    [Fact]
    public async Task AMessageThatIsNotJsonClosesOnlyItsOwnConnection()
    {
        await using var app = await LiveAppFactory.StartAsync();
        await using var owner = await app.ConnectAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var session = await owner.InvokeAsync<Web.Hubs.JoinedMessage>("CreateSession", new Web.Hubs.CreateSessionMessage(), cts.Token);
        await using var frames = new FrameRecorder(owner, session.SessionId);
        using var broken = new ClientWebSocket();
        await broken.ConnectAsync(new UriBuilder(app.HubUrl) { Scheme = "ws" }.Uri, cts.Token);
        await SendAsync(broken, """{"protocol":"json","version":1}""", cts.Token);
        await ReceiveUntilAsync(broken, "{}", cts.Token);

        await SendAsync(broken, "{this is not json", cts.Token);
        var buffer = new byte[4096];
        WebSocketReceiveResult result;
        do
        {
            result = await broken.ReceiveAsync(buffer, cts.Token);
        }
        while (result.MessageType != WebSocketMessageType.Close && !Encoding.UTF8.GetString(buffer, 0, result.Count).Contains("\"type\":7", StringComparison.Ordinal));

        var accepted = await owner.InvokeAsync<Web.Hubs.RequestAcceptedMessage>("SetPrompt", session.SessionId, "unaffected", cts.Token);
        Assert.Equal("unaffected", (await frames.WaitForRequestAsync(accepted.RequestId)).Request.Prompt);
    }

    private static async Task<ClientWebSocket> StallingViewerAsync(LiveAppFactory app, string sessionId, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        var wsUri = new UriBuilder(app.HubUrl) { Scheme = "ws" }.Uri;
        await socket.ConnectAsync(wsUri, cancellationToken);
        await SendAsync(socket, """{"protocol":"json","version":1}""", cancellationToken);
        await ReceiveUntilAsync(socket, "{}", cancellationToken);
        await SendAsync(socket, JsonSerializer.Serialize(new
        {
            type = 1,
            invocationId = "1",
            target = "JoinSession",
            arguments = new object[] { new { sessionId, role = "viewer" } },
        }), cancellationToken);
        var joined = await ReceiveUntilAsync(socket, "\"invocationId\":\"1\"", cancellationToken);
        Assert.Contains("\"result\":", joined, StringComparison.Ordinal);
        await SendAsync(socket, JsonSerializer.Serialize(new { type = 4, invocationId = "2", target = "Frames", arguments = new object[] { sessionId } }), cancellationToken);
        return socket;
    }

    private static long TotalMemoryAfterCollection()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static Task SendAsync(ClientWebSocket socket, string json, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json + RecordSeparator), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    private static async Task<string> ReceiveUntilAsync(ClientWebSocket socket, string marker, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var text = new StringBuilder();
        while (!text.ToString().Contains(marker, StringComparison.Ordinal))
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }

        return text.ToString();
    }
}
