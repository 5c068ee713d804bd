using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NitroLive.Web.Hubs;
using NitroLive.Web.Tests.Live;

namespace NitroLive.Web.Tests.Hubs;

/// <summary>The hub's server-to-client streams, opened and reopened.</summary>
public sealed class LiveHubStreamTests
{
    // A hidden tab or a restarted player opens Frames again: it must see the picture on screen without waiting for the
    // session's next change, which on an idle kiosk may never come.
    [Fact]
    public async Task AFrameStreamOpenedAgainStartsWithThePictureOnScreen()
    {
        await using var app = await LiveAppFactory.StartAsync();
        await using var viewer = await app.ConnectAsync();
        await using var owner = await app.ConnectAsync();
        var session = await owner.CreateSessionAsync("a red circle");
        await viewer.JoinAsync(session.SessionId, "viewer");

        var first = await FirstFrameAsync();
        var again = await FirstFrameAsync();

        Assert.Equal(1, first.RequestId);
        Assert.Equal(first.Sequence, again.Sequence);
        Assert.Equal(first.Image, again.Image);

        async Task<FrameMessage> FirstFrameAsync()
        {
            using var deadline = new CancellationTokenSource(LiveTestHost.Timeout);
            while (true)
            {
                using var stream = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                try
                {
                    await foreach (var frame in viewer.StreamAsync<FrameMessage>("Frames", session.SessionId, stream.Token))
                    {
                        await stream.CancelAsync();
                        return frame;
                    }

                    throw new InvalidOperationException("The frame stream ended without a frame.");
                }
                catch (HubException ex) when (ex.ErrorCode() == "already_streaming")
                {
                    // The server has not yet seen the previous stream's cancellation: one stream per membership.
                    await Task.Delay(20, deadline.Token);
                }
            }
        }
    }
}
