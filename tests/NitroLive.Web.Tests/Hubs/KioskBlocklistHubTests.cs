using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NitroLive.Web.Hubs;
using NitroLive.Web.Live;
using NitroLive.Web.Tests.Live;

namespace NitroLive.Web.Tests.Hubs;

/// <summary>A phone that skips the UI (a plain hub client) cannot get a blocked prompt generated in a kiosk's session.</summary>
public sealed class KioskBlocklistHubTests
{
    private static readonly TimeSpan Timeout = LiveTestHost.Timeout;

    [Fact]
    public async Task AHubTypistInAKioskSessionGetsBlockedPromptAndNoFrameForIt()
    {
        await using var app = await LiveAppFactory.StartAsync(settings: new()
        {
            ["NitroLive:Kiosk:Blocklist:0"] = "forbidden",
            ["NitroLive:Kiosk:Blocklist:1"] = "bad word*",
        });

        // The kiosk page creates its session in-process, as Kiosk.razor.cs does; the phone joins over the public hub.
        await using var kiosk = app.GetService<ILiveService>().CreateSession(
            new CreateSessionOptions("Kiosk", new LiveRequestPatch("a good castle"), TypingOpen: true, ApplyBlocklist: true));
        await using var phone = await app.ConnectAsync(messagePack: true);
        await phone.JoinAsync(kiosk.SessionId, "typist");
        await using var frames = new FrameRecorder(phone, kiosk.SessionId);
        await frames.WaitForRequestAsync(1);
        using var cts = new CancellationTokenSource(Timeout);

        var error = await Assert.ThrowsAsync<HubException>(() => phone.SetPromptAsync(kiosk.SessionId, "Some BAD WORDS please"));
        var patched = await Assert.ThrowsAsync<HubException>(() => phone.InvokeAsync<RequestAcceptedMessage>(
            "UpdateRequest", kiosk.SessionId, new RequestPatchMessage { Prompt = "forbidden", Steps = 2 }, cts.Token));
        var state = await phone.InvokeAsync<SessionStateMessage>("GetState", kiosk.SessionId, cts.Token);

        Assert.Equal("blocked_prompt", error.ErrorCode());
        Assert.Equal("blocked_prompt", patched.ErrorCode());
        Assert.Equal("a good castle", state.Request.Prompt);
        Assert.Equal(1, state.RequestId);

        // The session goes on: the next allowed prompt is drawn, and nothing was ever drawn for the blocked ones.
        var allowed = await phone.SetPromptAsync(kiosk.SessionId, "a badger in the woods");
        var frame = await frames.WaitForRequestAsync(allowed.RequestId);
        Assert.Equal("a badger in the woods", frame.Request.Prompt);
        Assert.Equal(["a good castle", "a badger in the woods"], frames.Received.Select(f => f.Request.Prompt).ToArray());
        Assert.Equal(["a good castle", "a badger in the woods"], app.Generator.GeneratedRequests.Select(r => r.Prompt).ToArray());
    }

    [Fact]
    public async Task ASessionCreatedOverTheHubIsNotAKioskSession()
    {
        await using var app = await LiveAppFactory.StartAsync(settings: new() { ["NitroLive:Kiosk:Blocklist:0"] = "forbidden" });
        await using var owner = await app.ConnectAsync();
        var session = await owner.CreateSessionAsync("a good castle");
        await using var frames = new FrameRecorder(owner, session.SessionId);

        var accepted = await owner.SetPromptAsync(session.SessionId, "a forbidden castle");

        Assert.Equal("a forbidden castle", (await frames.WaitForRequestAsync(accepted.RequestId)).Request.Prompt);
    }
}
