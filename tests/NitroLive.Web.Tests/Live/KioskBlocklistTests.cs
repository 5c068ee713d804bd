using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Live;

/// <summary>The live service enforces the kiosk blocklist in sessions created for a kiosk, and only there.</summary>
public sealed class KioskBlocklistTests
{
    private static readonly TimeSpan Timeout = LiveTestHost.Timeout;

    private static readonly Dictionary<string, string?> Blocklist = new()
    {
        ["NitroLive:Kiosk:Blocklist:0"] = "forbidden",
        ["NitroLive:Kiosk:Blocklist:1"] = "bad word*",
    };

    [Theory]
    [InlineData("a FORBIDDEN castle")]
    [InlineData("some bad  Words, here")]
    [InlineData("forbidden")]
    public async Task ABlockedPromptInAKioskSessionIsRefusedAndNeverGenerated(string blocked)
    {
        await using var host = await LiveTestHost.StartAsync(settings: Blocklist);
        await using var kiosk = host.Live.CreateSession(new CreateSessionOptions("Kiosk", new LiveRequestPatch("a good castle"), ApplyBlocklist: true));
        await using var phone = host.Live.JoinSession(kiosk.SessionId, LiveRole.Typist, "phone");
        var good = await kiosk.ReadUntilRequestAsync(1, Timeout);
        var before = kiosk.State;

        var refused = Assert.Throws<LiveException>(() => phone.SetPrompt(blocked));
        Assert.Equal(LiveErrorCode.BlockedPrompt, refused.Code);
        Assert.Equal("blocked_prompt", refused.CodeName);
        Assert.DoesNotContain("forbidden", refused.Message, StringComparison.OrdinalIgnoreCase);

        // A variation or a steps change of the refused prompt is no way round it: nothing changed to vary.
        Assert.Equal(LiveErrorCode.BlockedPrompt, Assert.Throws<LiveException>(() => phone.UpdateRequest(new LiveRequestPatch(blocked, Steps: 2))).Code);
        Assert.Equal(before.RequestId, kiosk.State.RequestId);
        Assert.Equal(before.Request, kiosk.State.Request);

        // An allowed prompt still goes through; only it, never the blocked one, reaches the generator.
        var allowed = phone.SetPrompt("a badger in the woods");
        var frames = await kiosk.ReadUntilRequestAsync(allowed.RequestId, Timeout);
        Assert.Equal("a badger in the woods", frames[^1].Request.Prompt);
        Assert.Equal(good[^1].Sequence + 1, frames[^1].Sequence);
        Assert.Equal(["a good castle", "a badger in the woods"], host.Generator.GeneratedRequests.Select(r => r.Prompt).ToArray());
    }

    [Fact]
    public async Task AKioskSessionCannotStartOnABlockedPrompt()
    {
        await using var host = await LiveTestHost.StartAsync(settings: Blocklist);

        var refused = Assert.Throws<LiveException>(
            () => host.Live.CreateSession(new CreateSessionOptions("Kiosk", new LiveRequestPatch("forbidden fruit"), ApplyBlocklist: true)));

        Assert.Equal(LiveErrorCode.BlockedPrompt, refused.Code);
        Assert.Equal(0, host.Registry.Count);
    }

    [Fact]
    public async Task SessionsNotCreatedForAKioskAcceptTheSameWords()
    {
        await using var host = await LiveTestHost.StartAsync(settings: Blocklist);
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(Initial: new LiveRequestPatch("a good castle")));
        await owner.ReadUntilRequestAsync(1, Timeout);

        var accepted = owner.SetPrompt("a FORBIDDEN castle");

        var frames = await owner.ReadUntilRequestAsync(accepted.RequestId, Timeout);
        Assert.Equal("a FORBIDDEN castle", frames[^1].Request.Prompt);
        Assert.Contains(host.Generator.GeneratedRequests, r => r.Prompt == "a FORBIDDEN castle");
    }

    // The phones of a public kiosk's session read each other's names ("typed by"): a blocked word is no name there. A
    // rename says so without repeating the word; a join is not refused for it (the phone gets a name of its own).
    [Fact]
    public async Task AKioskSessionTakesNoNameWithABlockedWord()
    {
        await using var host = await LiveTestHost.StartAsync(settings: Blocklist);
        await using var kiosk = host.Live.CreateSession(new CreateSessionOptions("Kiosk", new LiveRequestPatch("a good castle"), ApplyBlocklist: true));
        await using var phone = host.Live.JoinSession(kiosk.SessionId, LiveRole.Typist, "a Forbidden name");
        Assert.StartsWith("guest-", phone.DisplayName, StringComparison.Ordinal);

        var refused = Assert.Throws<LiveException>(() => phone.Rename("Bad Words"));
        Assert.Equal(LiveErrorCode.InvalidArgument, refused.Code);
        Assert.DoesNotContain("bad", refused.Message, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("guest-", phone.DisplayName, StringComparison.Ordinal);
        Assert.Throws<LiveException>(() => phone.Rename("forbi\u200Dd\u200Dden")); // invisible joiners split no word
        Assert.Equal("Badger", phone.Rename("Badger"));

        // Elsewhere the same words are a name like any other.
        await using var owner = host.Live.CreateSession();
        await using var guest = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "a Forbidden name");
        Assert.Equal("a Forbidden name", guest.DisplayName);
    }
}
