using Bunit;
using Microsoft.Extensions.DependencyInjection;
using NitroLive.Web.Components.Services;
using MudBlazor;
using NitroLive.Web.Components.Pages;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Components;

public sealed class KioskPageTests : UiTestContext
{
    [Fact]
    public void AFreshKioskOwnsAnOpenSessionAndShowsItsQrCode()
    {
        var page = RenderKiosk();
        page.WaitForAssertion(() => page.Find("[data-testid=kiosk-qr]"));

        var session = Live.OnlySession();
        Assert.True(session.TypingOpen);

        // Typing is open to anybody with the QR code: the live service enforces the blocklist in this session.
        Assert.True(Assert.Single(Live.Created).ApplyBlocklist);
        Assert.Equal("first playlist prompt", session.Request.Prompt);
        Assert.Equal($"qr/{session.Id}.svg", page.Find("[data-testid=kiosk-qr]").GetAttribute("src"));
        Assert.EndsWith($"/s/{session.Id}", page.Find("[data-testid=kiosk-join-url]").TextContent, StringComparison.Ordinal);
        Assert.Equal("Scan to type", page.Find("[data-testid=kiosk-scan]").TextContent);
    }

    // A phone that scans the code must find a prompt that holds still while its person starts to edit it: the playlist
    // stops when somebody joins and comes back only after AttractAfterSeconds (10 s here) without typing.
    [Fact]
    public async Task ThePlaylistHoldsStillForSomebodyWhoJustJoined()
    {
        var page = RenderKiosk();
        page.WaitForAssertion(() => page.Find("[data-testid=kiosk-qr]"));
        var session = Live.OnlySession();
        await AdvanceAsync(TimeSpan.FromSeconds(4.5), TimeSpan.FromMilliseconds(250));
        page.WaitForAssertion(() => Assert.Equal("second playlist prompt", session.Request.Prompt));

        // Another display showing the session joins as a viewer: nobody to wait for, the playlist goes on.
        Live.JoinSession(session.Id, LiveRole.Viewer, "Kiosk");
        await AdvanceAsync(TimeSpan.FromSeconds(4.5), TimeSpan.FromMilliseconds(250));
        page.WaitForAssertion(() => Assert.Equal("third playlist prompt", session.Request.Prompt));

        Live.JoinSession(session.Id, LiveRole.Typist, "Phone");
        page.WaitForAssertion(() => Assert.Equal("false", page.Find("[data-testid=kiosk]").GetAttribute("data-attract")));
        await AdvanceAsync(TimeSpan.FromSeconds(9), TimeSpan.FromMilliseconds(250));
        Assert.Equal("third playlist prompt", session.Request.Prompt); // two intervals passed: it would have moved twice

        await AdvanceAsync(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(250));
        page.WaitForAssertion(() => Assert.Equal("true", page.Find("[data-testid=kiosk]").GetAttribute("data-attract")));
    }

    [Fact]
    public async Task AttractModeCyclesThePlaylistAndStopsWhenSomebodyTypes()
    {
        var page = RenderKiosk();
        page.WaitForAssertion(() => page.Find("[data-testid=kiosk-qr]"));
        var session = Live.OnlySession();
        var kiosk = session.MembersNow.Single();

        // A fresh kiosk starts in attract mode: the next playlist prompt after the interval (4 s).
        await AdvanceAsync(TimeSpan.FromSeconds(4.5), TimeSpan.FromMilliseconds(250));
        page.WaitForAssertion(() => Assert.Equal("second playlist prompt", session.Request.Prompt));
        Assert.Equal("true", page.Find("[data-testid=kiosk]").GetAttribute("data-attract"));

        // Somebody scans the code and types: the playlist stops and leaves them the screen.
        var phone = Live.JoinSession(session.Id, LiveRole.Typist, "Phone");
        phone.SetPrompt("a purple cat");
        page.WaitForAssertion(() => Assert.Equal("false", page.Find("[data-testid=kiosk]").GetAttribute("data-attract")));
        await AdvanceAsync(TimeSpan.FromSeconds(8), TimeSpan.FromMilliseconds(250));
        Assert.Equal("a purple cat", session.Request.Prompt);

        // Idle for AttractAfterSeconds (10 s): the playlist comes back.
        await AdvanceAsync(TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(250));
        page.WaitForAssertion(() => Assert.Equal("true", page.Find("[data-testid=kiosk]").GetAttribute("data-attract")));
        Assert.EndsWith("playlist prompt", session.Request.Prompt, StringComparison.Ordinal);
        Assert.All(kiosk.Prompts, p => Assert.Contains("playlist", p, StringComparison.Ordinal));

        // Shown as whole prompts, not typed: each is drawn in full at once, without a draft first.
        Assert.Equal(kiosk.Prompts, kiosk.ShownPrompts);
    }

    [Fact]
    public async Task AKioskShowingAStudiosSessionLeavesItsPromptToTheStudio()
    {
        var studio = (FakeMember)Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        studio.SetPrompt("the studio's own prompt");

        // "Show on a kiosk" opens in the owner's browser, whose stored owner token makes the kiosk an owner too.
        JSInterop.Setup<string?>("load", i => Equals(i.Arguments[1], "nitro-owner:" + studio.SessionId)).SetResult(studio.OwnerToken);
        var page = RenderKiosk(studio.SessionId);
        page.WaitForAssertion(() => Assert.Equal(2, Live.Session(studio.SessionId).MemberCount));
        var display = Live.Session(studio.SessionId).MembersNow.Single(m => m.DisplayName == "Kiosk");
        Assert.Equal((LiveRole.Owner, true), (display.Role, display.IsDisplay)); // a screen, listed as one

        // Only the studio types there: a phone that scans the code can watch, and the kiosk says so.
        page.WaitForAssertion(() => Assert.Equal("Scan to watch", page.Find("[data-testid=kiosk-scan]").TextContent));

        // Idle far past AttractAfterSeconds (10 s): no playlist in a session that is not the kiosk's own.
        await AdvanceAsync(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250));
        Assert.Equal("the studio's own prompt", Live.Session(studio.SessionId).Request.Prompt);
        Assert.Equal("false", page.Find("[data-testid=kiosk]").GetAttribute("data-attract"));
        Assert.Single(Live.Created);
    }

    // A kiosk pointed at someone else's session (no owner token in this browser) is read-only even where anyone may type.
    [Fact]
    public async Task AKioskShowingAnotherSessionWatchesAsAViewerAndNeverChangesItsPrompt()
    {
        var studio = (FakeMember)Live.CreateSession(new CreateSessionOptions(TypingOpen: true));
        studio.SetPrompt("the studio's own prompt");
        var page = RenderKiosk(studio.SessionId);
        page.WaitForAssertion(() => Assert.Equal(2, Live.Session(studio.SessionId).MemberCount));
        var kiosk = Live.Session(studio.SessionId).MembersNow.Single(m => m.DisplayName == "Kiosk");
        Assert.Equal((LiveRole.Viewer, true), (kiosk.Role, kiosk.IsDisplay));

        // Somebody types a blocked prompt there: the kiosk keeps it off screen but leaves the prompt to its owner.
        var phone = Live.JoinSession(studio.SessionId, LiveRole.Typist, "Phone");
        phone.SetPrompt("a BAD WORDS picture");
        await AdvanceAsync(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250));

        Assert.Equal("a BAD WORDS picture", Live.Session(studio.SessionId).Request.Prompt);
        Assert.Empty(kiosk.Prompts);
        Assert.Empty(kiosk.ShownPrompts);
        Assert.Equal("false", page.Find("[data-testid=kiosk]").GetAttribute("data-attract"));
        Assert.Single(Live.Created);
    }

    [Fact]
    public async Task WithoutAPlaylistOfItsOwnTheKioskCyclesTheModelsExamplesThatTheBlocklistAllows()
    {
        Services.Configure<KioskOptions>(options => options.Playlist = []);
        Live.Limits = Live.Limits with
        {
            ModelVariants = [new LiveModelVariant("tiny", "nitro-tiny") { ExamplePrompts = ["a red circle", "a forbidden square", "two blue triangles"] }],
        };
        var page = RenderKiosk();
        page.WaitForAssertion(() => page.Find("[data-testid=kiosk-qr]"));
        var session = Live.OnlySession();
        Assert.Equal("a red circle", session.Request.Prompt);

        // "forbidden" is on the test blocklist: the kiosk never shows that example.
        await AdvanceAsync(TimeSpan.FromSeconds(4.5), TimeSpan.FromMilliseconds(250));
        page.WaitForAssertion(() => Assert.Equal("two blue triangles", session.Request.Prompt));
        await AdvanceAsync(TimeSpan.FromSeconds(4), TimeSpan.FromMilliseconds(250));
        page.WaitForAssertion(() => Assert.Equal("a red circle", session.Request.Prompt));
    }

    [Fact]
    public async Task AKioskWithNothingToCycleStartsWithoutAPromptAndWaitsForAPhone()
    {
        Services.Configure<KioskOptions>(options => options.Playlist = []);
        var page = RenderKiosk();
        page.WaitForAssertion(() => page.Find("[data-testid=kiosk-qr]"));
        var session = Live.OnlySession();
        Assert.Equal(string.Empty, session.Request.Prompt);

        // The empty prompt's picture is not shown: the screen asks people to scan, with no playlist label.
        session.PublishFrame();
        await AdvanceAsync(TimeSpan.FromSeconds(9), TimeSpan.FromMilliseconds(250));
        Assert.Equal(string.Empty, session.Request.Prompt);
        Assert.DoesNotContain(JSInterop.Invocations, i => i.Identifier == "show");
        Assert.Equal("Scan the code and type what you want to see.", page.Find("[data-testid=frame-placeholder]").TextContent.Trim());
        Assert.Empty(page.FindAll("[data-testid=kiosk-attract]"));
        var phone = Live.JoinSession(session.Id, LiveRole.Typist, "Phone");
        phone.SetPrompt("a purple cat");
        page.WaitForAssertion(() => Assert.Equal("false", page.Find("[data-testid=kiosk]").GetAttribute("data-attract")));
        Assert.Equal("a purple cat", session.Request.Prompt);
    }

    [Fact]
    public async Task AttractModeGoesOnWhenTheConnectionDropsWithTheHeartbeatInFlight()
    {
        // The browser never answers the watchdog's beat: the socket dropped with the call in flight.
        var beat = JSInterop.SetupModule("./js/app.js").SetupVoid("kioskHeartbeat");
        var page = RenderKiosk();
        page.WaitForAssertion(() => page.Find("[data-testid=kiosk-qr]"));
        await AdvanceAsync(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(250));
        page.WaitForAssertion(() => Assert.Single(JSInterop.Invocations, i => i.Identifier == "kioskHeartbeat"));
        var session = Live.OnlySession();
        var connection = Services.GetRequiredService<CircuitConnection>();
        await page.InvokeAsync(connection.Down);
        Assert.True(JSInterop.Invocations["kioskHeartbeat"].Single().CancellationToken?.IsCancellationRequested);
        beat.SetCanceled();

        // The playlist goes on regardless (the kiosk session lives on the server), and no beat goes out while down.
        await AdvanceAsync(TimeSpan.FromSeconds(4.5), TimeSpan.FromMilliseconds(250));
        page.WaitForAssertion(() => Assert.Equal("second playlist prompt", session.Request.Prompt));
        await AdvanceAsync(TimeSpan.FromSeconds(6), TimeSpan.FromMilliseconds(250));
        Assert.Single(JSInterop.Invocations, i => i.Identifier == "kioskHeartbeat");

        // Back: the beats resume.
        beat.SetVoidResult();
        await page.InvokeAsync(connection.Up);
        await AdvanceAsync(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(250));
        page.WaitForAssertion(() => Assert.Equal(2, JSInterop.Invocations.Count(i => i.Identifier == "kioskHeartbeat")));
    }

    [Fact]
    public async Task ABlockedPromptIsNotShownAndTheLastGoodFrameStays()
    {
        var page = RenderKiosk();
        page.WaitForAssertion(() => page.Find("[data-testid=kiosk-qr]"));
        var session = Live.OnlySession();
        session.PublishFrame();
        page.WaitForAssertion(() => Assert.Single(JSInterop.Invocations, i => i.Identifier == "show"));

        // The live service refuses blocked prompts in kiosk sessions (LiveServiceTests, LiveHubTests); this fake does
        // not, like a session the kiosk shows but did not create: the page still keeps the blocked frame off screen.
        var phone = Live.JoinSession(session.Id, LiveRole.Typist, "Hub client");
        phone.SetPrompt("a BAD WORDS picture");
        session.PublishFrame(session.Request with { Prompt = "a BAD WORDS picture" });
        await AdvanceAsync(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));

        Assert.Single(JSInterop.Invocations, i => i.Identifier == "show");
        Assert.Equal("first playlist prompt", page.Find("[data-testid=kiosk-caption]").TextContent);

        // The kiosk, as owner, puts the last good prompt back so the generator moves on.
        page.WaitForAssertion(() => Assert.Equal("first playlist prompt", session.Request.Prompt));
    }

    // A phone's long prompt must not cover the picture: the caption shows its end (the words being typed), from a
    // word's start, in the smaller size; a short one stays whole in the large size.
    [Fact]
    public void ALongPromptShowsItsEndInTheSmallerCaption()
    {
        var page = RenderKiosk();
        page.WaitForAssertion(() => page.Find("[data-testid=kiosk-qr]"));
        var session = Live.OnlySession();
        var phone = Live.JoinSession(session.Id, LiveRole.Typist, "Phone");
        var prompt = string.Join(' ', Enumerable.Repeat("a red circle and a blue square", 14)) + " and the last words typed";
        phone.SetPrompt(prompt);

        page.WaitForAssertion(() => Assert.EndsWith("and the last words typed", page.Find("[data-testid=kiosk-caption]").TextContent, StringComparison.Ordinal));
        var caption = page.Find("[data-testid=kiosk-caption]");
        Assert.StartsWith("…", caption.TextContent, StringComparison.Ordinal);
        Assert.True(caption.TextContent.Length <= Kiosk.CaptionChars + 1, caption.TextContent);
        Assert.Contains("is-long", caption.ClassList);
        Assert.Contains(caption.TextContent[1..], prompt, StringComparison.Ordinal);
        Assert.Contains(caption.TextContent[1..].Split(' ')[0], prompt.Split(' ')); // a whole word first

        phone.SetPrompt("a red circle");
        page.WaitForAssertion(() => Assert.Equal("a red circle", page.Find("[data-testid=kiosk-caption]").TextContent));
        Assert.DoesNotContain("is-long", page.Find("[data-testid=kiosk-caption]").ClassList);
    }

    [Theory]
    [InlineData("short", 10, "short")]
    [InlineData("one two three four five six", 10, "…five six")] // cut inside "four": starts at the next word
    [InlineData("abcdefghijklmnopqrstuvwxyz", 10, "…qrstuvwxyz")] // one long word: its end
    [InlineData("ab 😀😀😀😀", 5, "…😀😀")] // never half a surrogate pair
    [InlineData("ab 👩‍💻👩‍💻", 7, "…👩‍💻")] // nor the tail of an emoji sequence
    [InlineData("ab 🇫🇷🇫🇷🇫🇷", 10, "…🇫🇷🇫🇷")] // nor one flag's second letter (it would pair with the next one's first)
    [InlineData("ab cafe\u0301 de\u0301ja\u0300", 4, "…ja\u0300")] // nor an accent without its letter
    [InlineData("one two three four", 10, "…three four")] // cut exactly at a word's start: that word stays
    [InlineData("a                              ", 10, "")] // only spaces at the end: nothing to show
    public void TheCaptionsTailStartsAtAWord(string caption, int max, string expected) =>
        Assert.Equal(expected, Kiosk.TailOf(caption, max));

    private IRenderedComponent<Kiosk> RenderKiosk(string? sessionId = null)
    {
        Render<MudPopoverProvider>();
        return Render<Kiosk>(p => p.Add(k => k.SessionId, sessionId));
    }
}
