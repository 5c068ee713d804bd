using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NitroLive.Web.Hubs;
using NitroLive.Web.Live;
using NitroLive.Web.Tests.Live;
using Xunit.Abstractions;

namespace NitroLive.Web.Tests.Reliability;

/// <summary>
/// More than 10,000 malformed or random calls against the app on loopback while another session keeps typing:
/// wrong types, wrong argument counts, unknown methods, huge strings, lone surrogates, invalid UTF-8, garbage
/// WebSocket frames and garbage negotiate requests. The server must answer each with an error (or drop that one
/// connection) and never stop serving the well-behaved session.
/// </summary>
public sealed class HubFuzzTests(ITestOutputHelper output)
{
    private const int HubWorkers = 4;
    private const int CallsPerHubWorker = 2_000;
    private const int RawWebSocketMessages = 1_200;
    private const int RawHttpRequests = 1_000;

    private static readonly string[] Methods =
    [
        "CreateSession", "JoinSession", "UpdateRequest", "ShowRequest", "SetPrompt", "Reroll", "GrantTyping", "RevokeTyping",
        "SetTypingOpen", "Rename", "GetState", "DownloadPng", "LeaveSession", "Frames", "States", "GetServerInfo",
    ];

    [Fact]
    public async Task TenThousandMalformedCallsNeitherCrashTheServerNorStopAnotherSessionsFrames()
    {
        // Only the fuzzing is under test here, not the rate limit.
        await using var host = ReliabilityHost.Start(settings: new()
        {
            ["NitroLive:Security:HubCallsPerSecond"] = "10000",
            ["NitroLive:Security:HubCallBurst"] = "100000",
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await using var observer = await host.NewSessionAsync(cts.Token);
        var registry = host.Services.GetService(typeof(LiveSessionRegistry)) as LiveSessionRegistry;

        using var stopTyping = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var typing = KeepTypingAsync(observer, stopTyping.Token);

        var counts = await Task.WhenAll(
            Enumerable.Range(0, HubWorkers).Select(i => FuzzHubAsync(host, seed: 1000 + i, CallsPerHubWorker, cts.Token))
                .Append(FuzzRawWebSocketAsync(host, seed: 2000, RawWebSocketMessages, cts.Token))
                .Append(FuzzRawHttpAsync(host, seed: 3000, RawHttpRequests, cts.Token)));
        await stopTyping.CancelAsync();
        var framesDuringFuzz = await typing;

        var total = counts.Sum();
        output.WriteLine($"{total} malformed calls: {string.Join(", ", counts)}; the observer got {framesDuringFuzz} frames meanwhile");
        Assert.True(total >= 10_000, $"only {total} calls were made");
        Assert.True(framesDuringFuzz > 0, "the well-behaved session got no frame while the fuzzing ran");

        // The server is alive and still serves: health, and the observer's next prompt gets exactly its frame.
        using var http = host.NewHttpClient();
        using var health = await http.GetAsync(new Uri("healthz", UriKind.Relative), cts.Token);
        Assert.True(health.IsSuccessStatusCode);
        var last = await observer.SetPromptAsync("a green square at the top left", cts.Token);
        Assert.Equal("a green square at the top left", (await observer.FrameForAsync(last.RequestId, ReliabilityHost.Timeout)).Request.Prompt);

        // Every fuzzing connection's sessions ended with it: only the observer's remains.
        await LiveTestExtensions.WaitUntilAsync(() => registry!.Count == 1, "the fuzzing connections' sessions to end", ReliabilityHost.Timeout, cts.Token);
    }

    private static async Task<int> KeepTypingAsync(HubClient observer, CancellationToken cancellationToken)
    {
        var frames = 0;
        var prompts = new[] { "a red circle", "two yellow triangles", "a big blue square", "three small purple circles" };
        try
        {
            for (var i = 0; !cancellationToken.IsCancellationRequested; i++)
            {
                var accepted = await observer.SetPromptAsync(prompts[i % prompts.Length] + new string(' ', i % 3), cancellationToken);
                await observer.FrameForAsync(accepted.RequestId, ReliabilityHost.Timeout);
                frames++;
                await Task.Delay(50, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The fuzzing is over.
        }

        return frames;
    }

    private static async Task<int> FuzzHubAsync(ReliabilityHost host, int seed, int calls, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        HubConnection? connection = null;
        string? sessionId = null;
        var made = 0;
        try
        {
            while (made < calls)
            {
                if (connection is null || connection.State != HubConnectionState.Connected)
                {
                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                    }

                    connection = host.NewConnection(messagePack: random.Next(2) == 0);
                    await connection.StartAsync(cancellationToken);
                    sessionId = (await connection.InvokeAsync<JoinedMessage>("CreateSession", new CreateSessionMessage(), cancellationToken)).SessionId;
                }

                var (method, args) = MalformedCall(random, sessionId!);
                made++;
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(TimeSpan.FromSeconds(10));
                    await connection.InvokeCoreAsync(method, args, timeout.Token);
                }
                catch (Exception ex) when (ex is HubException or InvalidOperationException or IOException or OperationCanceledException
                    or InvalidDataException or System.Text.Json.JsonException or MessagePack.MessagePackSerializationException or ArgumentException)
                {
                    // An error answer or a dropped connection are both acceptable; a dead server is not (checked after).
                }
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }

        return made;
    }

    private static (string Method, object?[] Args) MalformedCall(Random random, string sessionId)
    {
        var method = Methods[random.Next(Methods.Length)];
        switch (random.Next(8))
        {
            case 0:
                // Unknown methods, some with odd names.
                return (RandomString(random, random.Next(1, 40)), [RandomValue(random, sessionId)]);
            case 1:
                // Wrong argument counts.
                return (method, Enumerable.Range(0, random.Next(0, 6)).Select(_ => RandomValue(random, sessionId)).ToArray());
            case 2:
                // Right count, wrong types.
                return (method, [RandomValue(random, sessionId), RandomValue(random, sessionId)]);
            case 3:
                // Prompts and names with lone surrogates, control characters and bidi marks.
                return (random.Next(2) == 0 ? "SetPrompt" : "Rename", [sessionId, "a red \uD800 circle" + (char)random.Next(0, 32) + "\u202E\uDFFF" + RandomString(random, 10)]);
            case 4:
                // Long strings just under the message size limit, and prompts over the length limit.
                return ("SetPrompt", [sessionId, new string('x', random.Next(400, 30_000))]);
            case 5:
                // Out-of-range request fields.
                return ("UpdateRequest", [sessionId, new RequestPatchMessage
                {
                    Steps = random.Next(-5, 50),
                    Seed = random.Next(2) == 0 ? long.MaxValue : -random.NextInt64(),
                    Width = random.Next(-10, 100_000),
                    Height = random.Next(-10, 100_000),
                    SeedMode = RandomString(random, 5),
                    ModelVariant = RandomString(random, 8),
                }]);
            case 6:
                // Someone else's or malformed session ids.
                return (method, [random.Next(2) == 0 ? RandomString(random, 22) : sessionId + "\uD800", RandomValue(random, sessionId)]);
            default:
                // Joins with garbage roles and tokens.
                return ("JoinSession", [new JoinSessionMessage
                {
                    SessionId = random.Next(2) == 0 ? sessionId : RandomString(random, 22),
                    Role = random.Next(2) == 0 ? "owner" : RandomString(random, 6),
                    OwnerToken = RandomString(random, 22),
                    DisplayName = RandomString(random, random.Next(0, 300)),
                }]);
        }
    }

    private static object? RandomValue(Random random, string sessionId) => random.Next(9) switch
    {
        0 => null,
        1 => random.Next(),
        2 => random.NextDouble() * 1e300,
        3 => sessionId,
        4 => RandomString(random, random.Next(0, 64)),
        5 => new[] { 1, 2, 3 },
        6 => new Dictionary<string, object?> { ["prompt"] = 5, ["steps"] = "four", ["width"] = new[] { 1 } },
        7 => true,
        _ => new CreateSessionMessage { DisplayName = RandomString(random, 10), TypingOpen = true },
    };

    private static string RandomString(Random random, int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            // Anything in the BMP, surrogates included (unpaired ones are invalid UTF-16).
            chars[i] = (char)random.Next(0, 0x10000);
        }

        return new string(chars);
    }

    private static async Task<int> FuzzRawWebSocketAsync(ReliabilityHost host, int seed, int messages, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        var uri = new Uri($"ws://{host.BaseAddress.Authority}/hubs/live");
        var sent = 0;
        while (sent < messages)
        {
            using var socket = new ClientWebSocket();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await socket.ConnectAsync(uri, timeout.Token);

                // Half the sockets complete a valid JSON handshake first, so the garbage reaches the hub protocol parser.
                if (random.Next(2) == 0)
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e"), WebSocketMessageType.Text, true, timeout.Token);
                }

                for (var i = 0; i < 10 && sent < messages && socket.State == WebSocketState.Open; i++)
                {
                    var (payload, type) = GarbageFrame(random);
                    sent++;
                    await socket.SendAsync(payload, type, true, timeout.Token);
                }

                if (socket.State == WebSocketState.Open)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                // The server may drop a connection that sends garbage; that is the right answer.
                sent++;
            }
        }

        return sent;
    }

    private static (byte[] Payload, WebSocketMessageType Type) GarbageFrame(Random random)
    {
        switch (random.Next(7))
        {
            case 0:
                var bytes = new byte[random.Next(1, 2048)];
                random.NextBytes(bytes);
                return (bytes, WebSocketMessageType.Binary);
            case 1:
                // Invalid UTF-8 in a text frame.
                return ([0x7B, 0xC3, 0x28, 0xFF, 0xFE, 0x1E], WebSocketMessageType.Text);
            case 2:
                return (Encoding.UTF8.GetBytes("{\"type\":1,\"target\":\"SetPrompt\",\"arguments\":[" + new string('[', 5000) + "]}\u001e"), WebSocketMessageType.Text);
            case 3:
                return (Encoding.UTF8.GetBytes("{\"type\":" + random.Next(-5, 50) + ",\"invocationId\":\"" + random.Next() + "\",\"target\":\"GetState\",\"arguments\":{}}\u001e"), WebSocketMessageType.Text);
            case 4:
                return (Encoding.UTF8.GetBytes("{\"protocol\":\"" + RandomAscii(random, 8) + "\",\"version\":" + random.Next(-3, 99) + "}\u001e"), WebSocketMessageType.Text);
            case 5:
                return (Encoding.UTF8.GetBytes("{\"type\":4,\"invocationId\":\"1\",\"target\":\"Frames\",\"arguments\":[\"" + RandomAscii(random, 22) + "\"]}\u001e{\"type\":5,\"invocationId\":\"1\"}\u001e"), WebSocketMessageType.Text);
            default:
                return (Encoding.UTF8.GetBytes(RandomAscii(random, random.Next(1, 512)) + "\u001e"), WebSocketMessageType.Text);
        }
    }

    private static async Task<int> FuzzRawHttpAsync(ReliabilityHost host, int seed, int requests, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        using var http = host.NewHttpClient();
        for (var i = 0; i < requests; i++)
        {
            using var request = (i % 4) switch
            {
                0 => new HttpRequestMessage(HttpMethod.Post, $"hubs/live/negotiate?negotiateVersion={Uri.EscapeDataString(RandomAscii(random, 4))}"),
                1 => new HttpRequestMessage(HttpMethod.Post, "hubs/live/negotiate?negotiateVersion=1")
                {
                    Content = new ByteArrayContent(RandomBytes(random, random.Next(0, 4096))),
                },
                2 => new HttpRequestMessage(HttpMethod.Get, $"hubs/live?id={Uri.EscapeDataString(RandomAscii(random, 22))}"),
                _ => new HttpRequestMessage(HttpMethod.Post, $"hubs/live?id={Uri.EscapeDataString(RandomAscii(random, 22))}")
                {
                    Content = new ByteArrayContent(RandomBytes(random, random.Next(0, 4096))),
                },
            };
            using var response = await http.SendAsync(request, cancellationToken);
            Assert.True((int)response.StatusCode < 500, $"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}");
        }

        return requests;
    }

    private static string RandomAscii(Random random, int length) =>
        new(Enumerable.Range(0, length).Select(_ => (char)random.Next(33, 127)).ToArray());

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
