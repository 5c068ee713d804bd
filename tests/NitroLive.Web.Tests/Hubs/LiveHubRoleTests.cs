using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NitroLive.Web.Hubs;
using NitroLive.Web.Tests.Live;

namespace NitroLive.Web.Tests.Hubs;

/// <summary>Roles are the server's to enforce: what a hub client may call whatever its own code allows.</summary>
public sealed class LiveHubRoleTests
{
    [Fact]
    public async Task OnlyTheOwnerHandsOutTypingOverTheHub()
    {
        await using var app = await LiveAppFactory.StartAsync();
        await using var owner = await app.ConnectAsync();
        await using var typistConnection = await app.ConnectAsync(messagePack: true);
        await using var viewerConnection = await app.ConnectAsync();
        var session = await owner.CreateSessionAsync("the owner's prompt");
        var typist = await typistConnection.JoinAsync(session.SessionId, "typist");
        var viewer = await viewerConnection.JoinAsync(session.SessionId, "viewer");

        foreach (var actor in new[] { typistConnection, viewerConnection })
        {
            foreach (var (method, args) in new (string, object[])[]
            {
                ("GrantTyping", [session.SessionId, viewer.MemberId]),
                ("RevokeTyping", [session.SessionId, typist.MemberId]),
                ("SetTypingOpen", [session.SessionId, false]),
            })
            {
                using var cts = new CancellationTokenSource(LiveTestHost.Timeout);
                var error = await Assert.ThrowsAsync<HubException>(() => actor.InvokeCoreAsync(method, args, cts.Token));
                Assert.Equal("forbidden", error.ErrorCode());
            }
        }

        using var state = new CancellationTokenSource(LiveTestHost.Timeout);
        var after = await owner.InvokeAsync<SessionStateMessage>("GetState", session.SessionId, state.Token);
        Assert.True(after.TypingOpen);
        Assert.Equal(["owner", "typist", "viewer"], after.Members.Select(m => m.Role));
        Assert.Null(after.PromptBy); // the prompt the session was created with: nobody typed it here

        await typistConnection.SetPromptAsync(session.SessionId, "the typist's prompt");
        var typed = await viewerConnection.InvokeAsync<SessionStateMessage>("GetState", session.SessionId, state.Token);
        Assert.Equal(typist.MemberId, typed.PromptBy);
    }

    // A hub client that reconnects is a new connection: with the guest key its first Joined gave, it is the same guest.
    [Fact]
    public async Task AGuestKeyFromJoinedMakesALaterJoinTheSameGuest()
    {
        await using var app = await LiveAppFactory.StartAsync();
        await using var owner = await app.ConnectAsync();
        var session = await owner.CreateSessionAsync("the owner's prompt");
        using var cts = new CancellationTokenSource(LiveTestHost.Timeout);
        await owner.InvokeAsync("SetTypingOpen", session.SessionId, false, cts.Token);

        string? key;
        await using (var first = await app.ConnectAsync(messagePack: true))
        {
            var joined = await first.InvokeAsync<JoinedMessage>(
                "JoinSession", new JoinSessionMessage { SessionId = session.SessionId, DisplayName = "Alex" }, cts.Token);
            key = joined.GuestKey;
            Assert.False(string.IsNullOrEmpty(key));
            await owner.InvokeAsync("GrantTyping", session.SessionId, joined.MemberId, cts.Token);
        }

        // Gone on the server too, so the join below finds the guest remembered, not still present.
        while ((await owner.InvokeAsync<SessionStateMessage>("GetState", session.SessionId, cts.Token)).Members.Count > 1)
        {
            await Task.Delay(20, cts.Token);
        }

        await using var again = await app.ConnectAsync();
        var back = await again.InvokeAsync<JoinedMessage>(
            "JoinSession", new JoinSessionMessage { SessionId = session.SessionId, Role = "viewer", GuestKey = key }, cts.Token);
        Assert.Equal(("typist", key), (back.Role, back.GuestKey));
        Assert.Equal("Alex", back.State.Members.Single(m => m.MemberId == back.MemberId).DisplayName);
        Assert.Equal(["owner", "typist"], (await owner.InvokeAsync<SessionStateMessage>("GetState", session.SessionId, cts.Token)).Members.Select(m => m.Role));

        // A second connection with the key (another tab) is the same person: one entry, its id among the other pages.
        await using var twin = await app.ConnectAsync(messagePack: true);
        var other = await twin.InvokeAsync<JoinedMessage>(
            "JoinSession", new JoinSessionMessage { SessionId = session.SessionId, GuestKey = key }, cts.Token);
        var both = await twin.InvokeAsync<SessionStateMessage>("GetState", session.SessionId, cts.Token);
        Assert.Equal(["owner", "typist"], both.Members.Select(m => m.Role));
        Assert.Equal((back.MemberId, other.MemberId), (both.Members[1].MemberId, Assert.Single(both.Members[1].OtherMemberIds)));
        Assert.Empty(both.Members[0].OtherMemberIds);
    }

    // Any member renames themselves, over either protocol; the others' next state carries it, and a refused name says why.
    [Fact]
    public async Task AViewerRenamesThemselvesOverTheHubAndEverybodySeesIt()
    {
        await using var app = await LiveAppFactory.StartAsync();
        await using var owner = await app.ConnectAsync();
        await using var viewerConnection = await app.ConnectAsync(messagePack: true);
        var session = await owner.CreateSessionAsync("the owner's prompt");
        using var cts = new CancellationTokenSource(LiveTestHost.Timeout);
        await owner.InvokeAsync("SetTypingOpen", session.SessionId, false, cts.Token);
        var viewer = await viewerConnection.JoinAsync(session.SessionId, "viewer");

        Assert.Equal("Robin", await viewerConnection.InvokeAsync<string>("Rename", session.SessionId, "  Robin\u202E ", cts.Token));
        var state = await owner.InvokeAsync<SessionStateMessage>("GetState", session.SessionId, cts.Token);
        Assert.Equal("Robin", state.Members.Single(m => m.MemberId == viewer.MemberId).DisplayName);

        foreach (var refused in new[] { "", "host", new string('n', 65) })
        {
            var error = await Assert.ThrowsAsync<HubException>(() => viewerConnection.InvokeAsync<string>("Rename", session.SessionId, refused, cts.Token));
            Assert.Equal("invalid_argument", error.ErrorCode());
        }

        Assert.Equal("Maya", await owner.InvokeAsync<string>("Rename", session.SessionId, "Maya", cts.Token));
        var after = await viewerConnection.InvokeAsync<SessionStateMessage>("GetState", session.SessionId, cts.Token);
        Assert.Equal(["Maya", "Robin"], after.Members.Select(m => m.DisplayName));

        // A kiosk display (the in-process page) is marked as one for hub clients too.
        await using var kiosk = app.GetService<NitroLive.Web.Live.ILiveService>().JoinSession(session.SessionId, NitroLive.Web.Live.LiveRole.Viewer, "Kiosk", display: true);
        var shown = await viewerConnection.InvokeAsync<SessionStateMessage>("GetState", session.SessionId, cts.Token);
        Assert.Equal([false, false, true], shown.Members.Select(m => m.IsDisplay));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abc")]
    public async Task JoiningAsOwnerWithoutTheTokenIsRefusedOverTheHub(string? token)
    {
        await using var app = await LiveAppFactory.StartAsync();
        await using var owner = await app.ConnectAsync();
        await using var intruder = await app.ConnectAsync();
        var session = await owner.CreateSessionAsync();
        using var cts = new CancellationTokenSource(LiveTestHost.Timeout);

        var error = await Assert.ThrowsAsync<HubException>(() => intruder.InvokeAsync<JoinedMessage>(
            "JoinSession", new JoinSessionMessage { SessionId = session.SessionId, Role = "owner", OwnerToken = token }, cts.Token));

        Assert.Equal("invalid_owner_token", error.ErrorCode());
    }
}
