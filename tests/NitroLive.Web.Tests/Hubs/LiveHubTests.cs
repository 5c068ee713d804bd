using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NitroLive.Web.Hubs;
using NitroLive.Web.Live;
using NitroLive.Web.Tests.Live;

namespace NitroLive.Web.Tests.Hubs;

public sealed class LiveHubTests
{
    private static readonly TimeSpan Timeout = LiveTestHost.Timeout;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task APromptTypedLetterByLetterEndsWithTheFinalPromptsFrame(bool messagePack)
    {
        await using var app = await LiveAppFactory.StartAsync(new FakeImageGenerator(delay: TimeSpan.FromMilliseconds(60)));
        await using var connection = await app.ConnectAsync(messagePack);
        var session = await connection.CreateSessionAsync();
        await using var frames = new FrameRecorder(connection, session.SessionId);
        const string text = "a lighthouse on a cliff at sunset";

        var last = await connection.TypeAsync(session.SessionId, text, TimeSpan.FromMilliseconds(20));
        var final = await frames.WaitForRequestAsync(last.RequestId);

        Assert.Equal(text, final.Request.Prompt);
        Assert.Equal(last.RequestId, final.RequestId);
        Assert.Equal(session.SessionId, final.SessionId);
        Assert.Equal("image/jpeg", final.ContentType);
        Assert.Equal([0xFF, 0xD8], final.Image[..2]);
        Assert.True(final.Timings.TotalMs >= final.Timings.GenerateMs);
        Assert.Equal(1, final.Timings.BatchSize);
        // Each prompt is generated at most once and in typing order (how many are skipped depends on timing).
        var generated = app.Generator.GeneratedRequests.Select(r => r.Prompt).Where(p => p.Length > 0).ToArray();
        Assert.Equal(generated.OrderBy(p => p.Length), generated);
        Assert.Equal(generated.Distinct(), generated);
        Assert.Equal(text, generated[^1]);
        Assert.Equal(1, app.Generator.MaxConcurrentCalls);
    }

    [Fact]
    public async Task TwoViewersReceiveTheSameFrames()
    {
        await using var app = await LiveAppFactory.StartAsync(new FakeImageGenerator(delay: TimeSpan.FromMilliseconds(30)));
        await using var owner = await app.ConnectAsync();
        await using var viewer1 = await app.ConnectAsync();
        await using var viewer2 = await app.ConnectAsync(messagePack: true);
        var session = await owner.CreateSessionAsync("first");
        await viewer1.JoinAsync(session.SessionId, "viewer");
        await viewer2.JoinAsync(session.SessionId, "viewer");
        await using var ownerFrames = new FrameRecorder(owner, session.SessionId);
        await using var frames1 = new FrameRecorder(viewer1, session.SessionId);
        await using var frames2 = new FrameRecorder(viewer2, session.SessionId);

        // Each frame is awaited before the next prompt: a prompt sent earlier would cancel the run it supersedes.
        await ownerFrames.WaitForRequestAsync(1);
        await frames1.WaitForRequestAsync(1);
        await frames2.WaitForRequestAsync(1);
        foreach (var prompt in new[] { "second", "third", "fourth" })
        {
            var accepted = await owner.SetPromptAsync(session.SessionId, prompt);
            await ownerFrames.WaitForRequestAsync(accepted.RequestId);
            await frames1.WaitForRequestAsync(accepted.RequestId);
            await frames2.WaitForRequestAsync(accepted.RequestId);
        }

        Assert.Equal(frames1.Received.Select(f => f.Sequence), frames2.Received.Select(f => f.Sequence));
        Assert.Equal(frames1.Received.Select(f => Convert.ToHexString(f.Image)), frames2.Received.Select(f => Convert.ToHexString(f.Image)));
        Assert.Equal("fourth", frames2.Received[^1].Request.Prompt);
        Assert.Equal(4, frames1.Received.Count);
    }

    [Fact]
    public async Task AViewersUpdateIsRejectedAndChangesNothing()
    {
        await using var app = await LiveAppFactory.StartAsync();
        await using var owner = await app.ConnectAsync();
        await using var viewer = await app.ConnectAsync();
        var session = await owner.CreateSessionAsync("owner's prompt");
        var joined = await viewer.JoinAsync(session.SessionId, "viewer");
        using var cts = new CancellationTokenSource(Timeout);

        var error = await Assert.ThrowsAsync<HubException>(() => viewer.SetPromptAsync(session.SessionId, "hijack"));
        var error2 = await Assert.ThrowsAsync<HubException>(() => viewer.InvokeAsync<RequestAcceptedMessage>(
            "UpdateRequest", session.SessionId, new RequestPatchMessage { Steps = 2 }, cts.Token));

        Assert.Equal("forbidden", error.ErrorCode());
        Assert.Equal("forbidden", error2.ErrorCode());
        var state = await owner.InvokeAsync<SessionStateMessage>("GetState", session.SessionId, cts.Token);
        Assert.Equal("owner's prompt", state.Request.Prompt);
        Assert.Equal(1, state.Request.Steps);
        Assert.Equal("viewer", joined.Role);
        Assert.Null(joined.OwnerToken);
        Assert.Equal(22, session.OwnerToken!.Length);
    }

    [Fact]
    public async Task TheOwnerGrantsTypingOverTheHub()
    {
        await using var app = await LiveAppFactory.StartAsync();
        await using var owner = await app.ConnectAsync(messagePack: true);
        await using var guest = await app.ConnectAsync();
        using var cts = new CancellationTokenSource(Timeout);
        var session = await owner.InvokeAsync<JoinedMessage>("CreateSession", new CreateSessionMessage { TypingOpen = false }, cts.Token);
        var typistError = await Assert.ThrowsAsync<HubException>(() => guest.JoinAsync(session.SessionId, "typist"));
        var joined = await guest.JoinAsync(session.SessionId, "viewer");

        await owner.InvokeAsync("GrantTyping", session.SessionId, joined.MemberId, cts.Token);
        var accepted = await guest.SetPromptAsync(session.SessionId, "granted");
        await owner.InvokeAsync("RevokeTyping", session.SessionId, joined.MemberId, cts.Token);
        var revoked = await Assert.ThrowsAsync<HubException>(() => guest.SetPromptAsync(session.SessionId, "revoked"));

        Assert.Equal("forbidden", typistError.ErrorCode());
        Assert.Equal("granted", accepted.Request.Prompt);
        Assert.Equal("forbidden", revoked.ErrorCode());
    }

    // One connection must not take every session slot of the server and hold them while it stays connected.
    [Fact]
    public async Task AConnectionIsAMemberOfAtMostItsLimitOfSessions()
    {
        await using var app = await LiveAppFactory.StartAsync(settings: new()
        {
            ["NitroLive:Live:MaxSessionsPerConnection"] = "2",
            ["NitroLive:Live:EmptySessionGraceSeconds"] = "60",
        });
        await using var greedy = await app.ConnectAsync();
        await using var other = await app.ConnectAsync();
        using var cts = new CancellationTokenSource(Timeout);
        var first = await greedy.CreateSessionAsync();
        await greedy.CreateSessionAsync();
        var elsewhere = await other.CreateSessionAsync();

        var third = await Assert.ThrowsAsync<HubException>(() => greedy.CreateSessionAsync());
        var joined = await Assert.ThrowsAsync<HubException>(() => greedy.JoinAsync(elsewhere.SessionId, "viewer"));
        Assert.Equal("too_many_memberships", third.ErrorCode());
        Assert.Equal("too_many_memberships", joined.ErrorCode());

        // Leaving one makes room to join another; other connections were never limited by this one.
        await greedy.InvokeAsync("LeaveSession", first.SessionId, cts.Token);
        await greedy.JoinAsync(elsewhere.SessionId, "viewer");
        await other.CreateSessionAsync();

        // But not to create another: a session its owner left stays open for the owner to come back, so create-and-leave
        // would otherwise fill the server.
        await greedy.InvokeAsync("LeaveSession", elsewhere.SessionId, cts.Token);
        var churn = await Assert.ThrowsAsync<HubException>(() => greedy.CreateSessionAsync());
        Assert.Equal("too_many_memberships", churn.ErrorCode());
    }

    [Fact]
    public async Task BadInputGetsAStableHubErrorAndEveryOtherSessionKeepsRunning()
    {
        await using var app = await LiveAppFactory.StartAsync(new FakeImageGenerator(delay: TimeSpan.FromMilliseconds(10)));
        await using var other = await app.ConnectAsync();
        var otherSession = await other.CreateSessionAsync("other");
        await using var otherFrames = new FrameRecorder(other, otherSession.SessionId);
        await using var client = await app.ConnectAsync();
        var session = await client.CreateSessionAsync("kept");
        var id = session.SessionId;
        using var cts = new CancellationTokenSource(Timeout);

        async Task<string> Code(Func<Task> call) => (await Assert.ThrowsAsync<HubException>(call)).ErrorCode();

        Assert.Equal("prompt_too_long", await Code(() => client.SetPromptAsync(id, new string('x', 501))));
        Assert.Equal("steps_out_of_range", await Code(() => client.InvokeAsync<RequestAcceptedMessage>("UpdateRequest", id, new RequestPatchMessage { Steps = 5 }, cts.Token)));
        Assert.Equal("steps_out_of_range", await Code(() => client.InvokeAsync<RequestAcceptedMessage>("UpdateRequest", id, new RequestPatchMessage { Steps = 0 }, cts.Token)));
        Assert.Equal("unsupported_size", await Code(() => client.InvokeAsync<RequestAcceptedMessage>("UpdateRequest", id, new RequestPatchMessage { Width = 100, Height = 100 }, cts.Token)));
        Assert.Equal("invalid_argument", await Code(() => client.InvokeAsync<RequestAcceptedMessage>("UpdateRequest", id, new RequestPatchMessage { SeedMode = "sometimes" }, cts.Token)));
        var variant = await Assert.ThrowsAsync<HubException>(() => client.InvokeAsync<RequestAcceptedMessage>("UpdateRequest", id, new RequestPatchMessage { ModelVariant = "vibrant" }, cts.Token));
        Assert.Equal("unsupported_variant", variant.ErrorCode());
        Assert.Contains("'vibrant' is not offered here; use one of 'tiny'", variant.Message, StringComparison.Ordinal);
        var offered = await client.InvokeAsync<RequestAcceptedMessage>("UpdateRequest", id, new RequestPatchMessage { ModelVariant = "tiny" }, cts.Token);
        Assert.Equal("tiny", offered.Request.ModelVariant);
        Assert.Equal("invalid_argument", await Code(() => client.InvokeAsync<RequestAcceptedMessage>("UpdateRequest", id, null, cts.Token)));
        Assert.Equal("unknown_session", await Code(() => client.JoinAsync("AAAAAAAAAAAAAAAAAAAAAA", "viewer")));
        Assert.Equal("unknown_session", await Code(() => client.SetPromptAsync("not-a-session", "x")));
        Assert.Equal("not_a_member", await Code(() => client.SetPromptAsync(otherSession.SessionId, "x")));
        Assert.Equal("invalid_argument", await Code(() => client.JoinAsync(otherSession.SessionId, "superuser")));

        // Malformed invocations (wrong argument count or type) are refused by SignalR's binder; the connection stays.
        var wrongCount = await Assert.ThrowsAsync<HubException>(() => client.InvokeAsync<RequestAcceptedMessage>("SetPrompt", id, cts.Token));
        var wrongType = await Assert.ThrowsAsync<HubException>(() => client.InvokeAsync<RequestAcceptedMessage>("SetPrompt", id, new { nested = 1 }, cts.Token));
        var noMethod = await Assert.ThrowsAsync<HubException>(() => client.InvokeAsync("NoSuchMethod", id, cts.Token));
        Assert.StartsWith("Failed to invoke 'SetPrompt'", wrongCount.Message, StringComparison.Ordinal);
        Assert.StartsWith("Failed to invoke 'SetPrompt'", wrongType.Message, StringComparison.Ordinal);
        Assert.Contains("NoSuchMethod", noMethod.Message, StringComparison.Ordinal);

        var state = await client.InvokeAsync<SessionStateMessage>("GetState", id, cts.Token);
        Assert.Equal("kept", state.Request.Prompt);
        var accepted = await client.SetPromptAsync(id, "still works");
        Assert.Equal(2, accepted.RequestId);
        var next = await other.SetPromptAsync(otherSession.SessionId, "other again");
        Assert.Equal("other again", (await otherFrames.WaitForRequestAsync(next.RequestId)).Request.Prompt);
    }

    [Fact]
    public async Task AMembershipHasOneFrameStreamAndOneStateStreamAtATime()
    {
        await using var app = await LiveAppFactory.StartAsync(new FakeImageGenerator());
        await using var client = await app.ConnectAsync();
        var session = await client.CreateSessionAsync("one reader each");
        using var cts = new CancellationTokenSource(LiveTestHost.Timeout);
        var prompts = 0;

        foreach (var method in new[] { "Frames", "States" })
        {
            using var first = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            await using (var reader = client.StreamAsync<object>(method, session.SessionId, first.Token).GetAsyncEnumerator(first.Token))
            {
                Assert.True(await reader.MoveNextAsync(), $"the first {method} stream sent nothing");
                var second = await Assert.ThrowsAsync<HubException>(async () =>
                {
                    await foreach (var _ in client.StreamAsync<object>(method, session.SessionId, cts.Token))
                    {
                    }
                });
                Assert.Equal("already_streaming", second.ErrorCode());
                await first.CancelAsync();
            }

            // Once the first stream has ended (the server sees the cancel a moment later), the membership may open another.
            while (!await ReopensAsync(method))
            {
                await Task.Delay(20, cts.Token);
            }
        }

        async Task<bool> ReopensAsync(string method)
        {
            using var probe = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            var reader = client.StreamAsync<object>(method, session.SessionId, probe.Token).GetAsyncEnumerator(probe.Token);
            try
            {
                // A frame stream opens on an empty mailbox (the first stream took the frame): a new prompt fills it.
                var next = reader.MoveNextAsync().AsTask();
                await client.SetPromptAsync(session.SessionId, $"again {++prompts}");
                return await next;
            }
            catch (HubException ex) when (ex.ErrorCode() == "already_streaming")
            {
                return false;
            }
            finally
            {
                await probe.CancelAsync();
                try
                {
                    await reader.DisposeAsync();
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }

    [Fact]
    public async Task ADisconnectInMidGenerationDisturbsNobodyElse()
    {
        var generator = new FakeImageGenerator { Gate = new SemaphoreSlim(0) };
        await using var app = await LiveAppFactory.StartAsync(generator);
        var leaving = await app.ConnectAsync();
        var gone = await leaving.CreateSessionAsync("leaving");
        await generator.NextCallAsync(Timeout);
        await using var staying = await app.ConnectAsync();
        var session = await staying.CreateSessionAsync("staying");
        await using var viewer = await app.ConnectAsync();
        await viewer.JoinAsync(session.SessionId, "viewer");
        await using var frames = new FrameRecorder(viewer, session.SessionId);

        await leaving.DisposeAsync();
        var next = await generator.NextCallAsync(Timeout);
        generator.Gate.Release(100);

        Assert.Equal("staying", Assert.Single(next).Prompt);
        Assert.Equal("staying", (await frames.WaitForRequestAsync(1)).Request.Prompt);
        var accepted = await staying.SetPromptAsync(session.SessionId, "still here");
        Assert.Equal("still here", (await frames.WaitForRequestAsync(accepted.RequestId)).Request.Prompt);
        Assert.Equal(1, generator.CancelledCalls);
        Assert.Null(app.GetService<ILiveService>().GetSessionState(gone.SessionId));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task SixteenSessionsTypingAtOnceAllGetTheirFinalFrames(int maxBatch)
    {
        var generator = new FakeImageGenerator(maxBatch, TimeSpan.FromMilliseconds(15));
        await using var app = await LiveAppFactory.StartAsync(generator, new() { ["NitroLive:Live:EnableBatching"] = "true" });

        async Task<(string Expected, FrameMessage Final)> TypistAsync(int index)
        {
            await using var connection = await app.ConnectAsync(messagePack: index % 2 == 0);
            var session = await connection.CreateSessionAsync();
            await using var frames = new FrameRecorder(connection, session.SessionId);
            var text = $"session {index} draws a bicycle";
            var last = await connection.TypeAsync(session.SessionId, text, TimeSpan.FromMilliseconds(20));
            return (text, await frames.WaitForRequestAsync(last.RequestId, TimeSpan.FromSeconds(60)));
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(TypistAsync));

        Assert.All(results, r => Assert.Equal(r.Expected, r.Final.Request.Prompt));
        Assert.Equal(1, generator.MaxConcurrentCalls);
        if (maxBatch > 1)
        {
            Assert.Contains(generator.Calls, call => call.Count > 1);
        }
    }

    [Fact]
    public async Task HealthAndReadinessNameTheModelAndProvider()
    {
        await using var app = await LiveAppFactory.StartAsync();
        using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = Timeout };

        var live = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var json = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        var check = json.RootElement.GetProperty("checks").GetProperty("generator");
        Assert.Equal("Healthy", check.GetProperty("status").GetString());
        Assert.Equal("Fake", check.GetProperty("data").GetProperty("provider").GetString());
        Assert.Contains("Fake test model", check.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerInfoDescribesTheLimits()
    {
        await using var app = await LiveAppFactory.StartAsync();
        await using var connection = await app.ConnectAsync(messagePack: true);
        using var cts = new CancellationTokenSource(Timeout);

        var info = await connection.InvokeAsync<ServerInfoMessage>("GetServerInfo", cts.Token);

        Assert.Equal(500, info.MaxPromptLength);
        Assert.Equal([1, 2, 3, 4], info.AllowedSteps);
        Assert.Contains(info.Sizes, s => s.Width == 64 && s.Height == 64);
        Assert.Equal(40, info.ClientDebounceMs);
        Assert.Equal("tiny", info.ModelVariant);
        var variant = Assert.Single(info.ModelVariants);
        Assert.Equal("tiny", variant.Name);
        Assert.False(string.IsNullOrWhiteSpace(variant.DisplayName));
        Assert.Empty(variant.ExamplePrompts);
        Assert.Empty(variant.Vocabulary);
    }

    [Fact]
    public async Task ConfiguredAllowedStepsAreTheOnlyOnesOfferedAndAccepted()
    {
        await using var app = await LiveAppFactory.StartAsync(settings: new()
        {
            ["NitroLive:Live:AllowedSteps:0"] = "1",
            ["NitroLive:Live:AllowedSteps:1"] = "2",
        });
        await using var connection = await app.ConnectAsync();
        using var cts = new CancellationTokenSource(Timeout);
        var session = await connection.CreateSessionAsync("fewer steps");

        var info = await connection.InvokeAsync<ServerInfoMessage>("GetServerInfo", cts.Token);
        var refused = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<RequestAcceptedMessage>(
            "UpdateRequest", session.SessionId, new RequestPatchMessage { Steps = 3 }, cts.Token));
        var accepted = await connection.InvokeAsync<RequestAcceptedMessage>(
            "UpdateRequest", session.SessionId, new RequestPatchMessage { Steps = 2 }, cts.Token);

        Assert.Equal([1, 2], info.AllowedSteps);
        Assert.Equal("steps_out_of_range", refused.ErrorCode());
        Assert.Equal(2, accepted.Request.Steps);
    }

    // The configured default must reach a new session; one the allowed steps exclude falls back to the fewest allowed.
    [Theory]
    [InlineData(null, "2", "PerRequest", 2, "perRequest")]
    [InlineData(null, "4", "Fixed", 4, "fixed")]
    [InlineData("3,4", "1", "PerRequest", 3, "perRequest")]
    public async Task ANewSessionStartsWithTheConfiguredStepsAndSeedMode(
        string? allowedSteps, string defaultSteps, string defaultSeedMode, int expectedSteps, string expectedSeedMode)
    {
        var settings = new Dictionary<string, string?>
        {
            ["NitroLive:Live:DefaultSteps"] = defaultSteps,
            ["NitroLive:Live:DefaultSeedMode"] = defaultSeedMode,
        };
        foreach (var (step, index) in (allowedSteps?.Split(',') ?? []).Select((s, i) => (s, i)))
        {
            settings[$"NitroLive:Live:AllowedSteps:{index}"] = step;
        }

        await using var app = await LiveAppFactory.StartAsync(settings: settings);
        await using var connection = await app.ConnectAsync();

        var session = await connection.CreateSessionAsync();

        Assert.Equal(expectedSteps, session.State.Request.Steps);
        Assert.Equal(expectedSeedMode, session.State.Request.SeedMode);
    }

    [Fact]
    public async Task TheNewestFrameDownloadsAsPngOverTheHubAndHttp()
    {
        await using var app = await LiveAppFactory.StartAsync();
        await using var connection = await app.ConnectAsync(messagePack: true);
        var session = await connection.CreateSessionAsync("download me");
        await using var frames = new FrameRecorder(connection, session.SessionId);
        var frame = await frames.WaitForRequestAsync(1);
        using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = Timeout };

        using var cts = new CancellationTokenSource(Timeout);
        var viaHub = await connection.InvokeAsync<byte[]>("DownloadPng", session.SessionId, 0L, cts.Token);
        var viaHttp = await http.GetAsync(new Uri($"/live/sessions/{session.SessionId}/frame.png?sequence={frame.Sequence}", UriKind.Relative));
        var missing = await http.GetAsync(new Uri("/live/sessions/AAAAAAAAAAAAAAAAAAAAAA/frame.png", UriKind.Relative));

        Assert.Equal([0x89, 0x50, 0x4E, 0x47], viaHub[..4]);
        Assert.Equal(HttpStatusCode.OK, viaHttp.StatusCode);
        Assert.Equal("image/png", viaHttp.Content.Headers.ContentType?.MediaType);
        Assert.Equal(viaHub, await viaHttp.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    // A PNG costs far more than a frame, and kiosk ids are public: each frame is encoded once however often it is asked
    // for, and one address may download only so fast over HTTP.
    [Fact]
    public async Task AFrameIsEncodedOnceForEveryDownloadAndEachAddressIsRateLimited()
    {
        await using var app = await LiveAppFactory.StartAsync(settings: new()
        {
            ["NitroLive:Security:DownloadBurst"] = "3",
            ["NitroLive:Security:DownloadsPerSecond"] = "1",
        });
        await using var connection = await app.ConnectAsync();
        var session = await connection.CreateSessionAsync("download me often");
        await using var frames = new FrameRecorder(connection, session.SessionId);
        await frames.WaitForRequestAsync(1);
        using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = Timeout };
        var url = new Uri($"/live/sessions/{session.SessionId}/frame.png", UriKind.Relative);

        using var cts = new CancellationTokenSource(Timeout);
        var viaHub = await connection.InvokeAsync<byte[]>("DownloadPng", session.SessionId, 0L, cts.Token);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await http.GetAsync(url);
            statuses.Add(response.StatusCode);
            if (response.IsSuccessStatusCode)
            {
                Assert.Equal(viaHub, await response.Content.ReadAsByteArrayAsync());
            }
        }

        // The burst of three goes through; after it, one more per second at most (a slow machine may take seconds).
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], statuses[..3]);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.OK), 3, 3 + (int)Math.Ceiling(clock.Elapsed.TotalSeconds));
        Assert.Equal(1, app.Services.GetRequiredService<FullQualityPngs>().Encoded);
    }

    // Every waiting download holds a copy of its frame: past the bound the server says "busy" and when to come back
    // instead of queueing, over HTTP and the hub alike.
    [Fact]
    public async Task DownloadsPastTheBoundOfWaitingFramesAreRefusedAsBusy()
    {
        using var encoding = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim();
        await using var app = await LiveAppFactory.StartAsync(configure: services =>
        {
            services.RemoveAll<FullQualityPngs>();
            services.AddSingleton(new FullQualityPngs(1, (rgb, width, height) =>
            {
                encoding.Release();
                Assert.True(release.Wait(Timeout));
                return FrameEncoder.EncodePng(rgb, width, height);
            }, maxPending: 1));
        });
        await using var connection = await app.ConnectAsync();
        var first = await connection.CreateSessionAsync("the first picture");
        var second = await connection.CreateSessionAsync("the second picture");
        await using var firstFrames = new FrameRecorder(connection, first.SessionId);
        await using var secondFrames = new FrameRecorder(connection, second.SessionId);
        await firstFrames.WaitForRequestAsync(1);
        await secondFrames.WaitForRequestAsync(1);
        using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = Timeout };
        using var cts = new CancellationTokenSource(Timeout);

        var waiting = http.GetAsync(new Uri($"/live/sessions/{first.SessionId}/frame.png", UriKind.Relative), cts.Token);
        Assert.True(await encoding.WaitAsync(Timeout));
        using var refused = await http.GetAsync(new Uri($"/live/sessions/{second.SessionId}/frame.png", UriKind.Relative), cts.Token);
        var overHub = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<byte[]>("DownloadPng", second.SessionId, 0L, cts.Token));
        release.Set();
        using var served = await waiting;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("\"busy\"", await refused.Content.ReadAsStringAsync(cts.Token), StringComparison.Ordinal);
        Assert.Equal("busy", overHub.ErrorCode());
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    // Behind a proxy every visitor comes from the proxy's address; with forwarded headers on (as docs/operations.md
    // says), each visitor's own address gets its own bucket.
    [Fact]
    public async Task WithForwardedHeadersOnEachVisitorBehindAProxyHasItsOwnDownloadLimit()
    {
        await using var app = await LiveAppFactory.StartAsync(settings: new()
        {
            ["ForwardedHeaders_Enabled"] = "true",
            ["NitroLive:Security:DownloadBurst"] = "1",
            ["NitroLive:Security:DownloadsPerSecond"] = "1",
        });
        await using var connection = await app.ConnectAsync();
        var session = await connection.CreateSessionAsync("behind a proxy");
        await using var frames = new FrameRecorder(connection, session.SessionId);
        await frames.WaitForRequestAsync(1);
        using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = Timeout };

        async Task<HttpStatusCode> DownloadAs(string visitor)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/live/sessions/{session.SessionId}/frame.png");
            request.Headers.Add("X-Forwarded-For", visitor);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await DownloadAs("203.0.113.7"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await DownloadAs("203.0.113.7"));
        Assert.Equal(HttpStatusCode.OK, await DownloadAs("198.51.100.9"));
    }
}
