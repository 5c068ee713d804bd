using Microsoft.AspNetCore.SignalR.Client;
using NitroLive.Web.Hubs;
using NitroLive.Web.Tests.Live;

namespace NitroLive.Web.Tests.Reliability;

/// <summary>The generator throws for one request (the fake fails prompts containing "boom").</summary>
public sealed class GeneratorFailureTests
{
    [Fact]
    public async Task AFailedRequestReachesItsSessionAsAnErrorAndEverySessionKeepsWorking()
    {
        await using var host = ReliabilityHost.Start(new FakeImageGenerator(maxBatch: 1));
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);
        await using var sessions = await TwoSessions.StartAsync(host, cts.Token);
        var (failing, bystander) = (sessions.Failing, sessions.Bystander);
        var bad = await failing.SetPromptAsync("a boom circle", cts.Token);
        var error = await WaitForErrorAsync(failing, cts.Token);
        Assert.StartsWith("generation_failed: ", error, StringComparison.Ordinal);

        var other = await bystander.SetPromptAsync("two yellow triangles", cts.Token);
        Assert.Equal("two yellow triangles", (await bystander.FrameForAsync(other.RequestId, ReliabilityHost.Timeout)).Request.Prompt);

        // The failed session is not stuck: its next request is generated and clears the error.
        var good = await failing.SetPromptAsync("a red circle", cts.Token);
        Assert.True(good.RequestId > bad.RequestId);
        var frame = await failing.FrameForAsync(good.RequestId, ReliabilityHost.Timeout);
        Assert.Equal("a red circle", frame.Request.Prompt);
        var state = await failing.Connection.InvokeAsync<SessionStateMessage>("GetState", failing.SessionId, cts.Token);
        Assert.Null(state.LastError);
    }

    [Fact]
    public async Task AFailingRequestDoesNotTakeDownTheOtherRequestsOfItsBatch()
    {
        var generator = new FakeImageGenerator(maxBatch: 4) { Gate = new SemaphoreSlim(0) };
        await using var host = ReliabilityHost.Start(generator, new() { ["NitroLive:Live:EnableBatching"] = "true" }); // off by default
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);
        await using var holder = await host.NewSessionAsync(cts.Token);
        await using var failing = await host.NewSessionAsync(cts.Token);
        await using var bystander = await host.NewSessionAsync(cts.Token);

        // Hold the generator on a first request so the next two queue up and are batched together.
        await holder.SetPromptAsync("a white square", cts.Token);
        await generator.NextCallAsync(ReliabilityHost.Timeout);
        await failing.SetPromptAsync("a boom circle", cts.Token);
        var other = await bystander.SetPromptAsync("two yellow triangles", cts.Token);
        generator.Gate.Release(10);

        var frame = await bystander.FrameForAsync(other.RequestId, ReliabilityHost.Timeout);
        Assert.Equal("two yellow triangles", frame.Request.Prompt);
        Assert.StartsWith("generation_failed: ", await WaitForErrorAsync(failing, cts.Token), StringComparison.Ordinal);
        // The two did share a call first, the one that failed.
        Assert.Contains(generator.Calls, call => call.Any(r => r.Prompt == "a boom circle") && call.Any(r => r.Prompt == "two yellow triangles"));
    }

    [Fact]
    public async Task AResultThatCannotBeEncodedFailsItsRequestAndTheNextFramesStillCome()
    {
        // The fake hands back a result without pixels for "no pixels": neither encodable nor returnable to the pool.
        await using var host = ReliabilityHost.Start(new FakeImageGenerator(maxBatch: 1));
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);
        await using var sessions = await TwoSessions.StartAsync(host, cts.Token);
        var (failing, bystander) = (sessions.Failing, sessions.Bystander);

        await failing.SetPromptAsync("a red circle with no pixels", cts.Token);
        Assert.StartsWith("encode_failed: ", await WaitForErrorAsync(failing, cts.Token), StringComparison.Ordinal);

        for (var i = 0; i < 3; i++)
        {
            var other = await bystander.SetPromptAsync($"{i + 2} yellow triangles", cts.Token);
            Assert.Equal(other.RequestId, (await bystander.FrameForAsync(other.RequestId, ReliabilityHost.Timeout)).RequestId);
        }

        var good = await failing.SetPromptAsync("a red circle", cts.Token);
        Assert.Equal("a red circle", (await failing.FrameForAsync(good.RequestId, ReliabilityHost.Timeout)).Request.Prompt);
    }

    /// <summary>A session to fail and a bystander, each with its first frame (its default request) out already.</summary>
    private sealed record TwoSessions(HubClient Failing, HubClient Bystander) : IAsyncDisposable
    {
        public static async Task<TwoSessions> StartAsync(ReliabilityHost host, CancellationToken cancellationToken)
        {
            var failing = await host.NewSessionAsync(cancellationToken);
            var bystander = await host.NewSessionAsync(cancellationToken);

            // Nothing older than the failure can land after it.
            await failing.FrameForAsync(1, ReliabilityHost.Timeout);
            await bystander.FrameForAsync(1, ReliabilityHost.Timeout);
            return new TwoSessions(failing, bystander);
        }

        public async ValueTask DisposeAsync()
        {
            await Failing.DisposeAsync();
            await Bystander.DisposeAsync();
        }
    }

    private static async Task<string> WaitForErrorAsync(HubClient client, CancellationToken cancellationToken)
    {
        await foreach (var state in client.Connection.StreamAsync<SessionStateMessage>("States", client.SessionId, cancellationToken))
        {
            if (state.LastError is { } error)
            {
                return error;
            }
        }

        throw new InvalidOperationException("The state stream ended without an error.");
    }
}
