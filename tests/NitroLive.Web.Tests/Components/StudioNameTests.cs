using Bunit;
using MudBlazor;
using NitroLive.Web.Components.Pages;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Components;

/// <summary>"Your name": where a guest and the owner change the name the others see, and the browser keeps it.</summary>
public sealed class StudioNameTests : UiTestContext
{
    private const string NameInput = "[data-testid=name-input] input, input[data-testid=name-input]";

    [Fact]
    public async Task AGuestRenamesThemselvesAndTheBrowserKeepsTheName()
    {
        var owner = (FakeMember)Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        var save = JSInterop.SetupModule("./js/app.js").SetupVoid("save", _ => true);
        save.SetVoidResult();
        var page = RenderStudio(owner.SessionId);
        page.WaitForAssertion(() => Assert.Equal("Viewer", page.Find("[data-testid=studio]").GetAttribute("data-role")));
        var guest = Live.Session(owner.SessionId).MembersNow.Single(m => m.Role == LiveRole.Viewer);
        Assert.Equal(guest.DisplayName, page.Find(NameInput).GetAttribute("value"));

        await page.InvokeAsync(() => page.Find(NameInput).Change("  Robin "));

        Assert.Equal(["  Robin "], guest.Renames);
        page.WaitForAssertion(() => Assert.Equal("The others see you as Robin now.", page.Find("[data-testid=name-status]").TextContent));
        page.WaitForAssertion(() => Assert.Equal("Robin", owner.State.Members.Single(m => m.Holds(guest.MemberId)).DisplayName));
        page.WaitForAssertion(() => Assert.Equal("Robin", page.Find(NameInput).GetAttribute("value")));
        page.WaitForAssertion(() => Assert.Contains(JSInterop.Invocations, i => i.Identifier == "save"
            && "local".Equals(i.Arguments[0]) && "nitro-name".Equals(i.Arguments[1]) && "Robin".Equals(i.Arguments[2])));
    }

    // What the session refuses stays in the field with why, to be corrected; an emptied field goes back to the name.
    [Fact]
    public async Task ARefusedNameStaysInTheFieldWithWhyAndAnEmptiedFieldGoesBack()
    {
        var (page, guest, owner) = OpenAsGuest();
        var name = guest.DisplayName;
        guest.RefuseRename = "That is the owner's name in this session: choose another.";

        await page.InvokeAsync(() => page.Find(NameInput).Change("Host"));
        page.WaitForAssertion(() => Assert.Contains("the owner's name", page.Find("[data-testid=name]").TextContent, StringComparison.Ordinal));
        Assert.Equal("Host", page.Find(NameInput).GetAttribute("value"));
        Assert.Equal(name, guest.DisplayName);
        Assert.Contains("the owner's name", page.Find("[data-testid=name-status]").TextContent, StringComparison.Ordinal); // read out

        await page.InvokeAsync(() => page.Find(NameInput).Change("   "));
        page.WaitForAssertion(() => Assert.Equal(name, page.Find(NameInput).GetAttribute("value")));
        Assert.DoesNotContain("the owner's name", page.Find("[data-testid=name]").TextContent, StringComparison.Ordinal);
        Assert.Equal(["Host"], guest.Renames); // the emptied field asked for nothing
    }

    // Escape gives up what was typed, a refused name and its error too.
    [Fact]
    public async Task EscapeBringsTheNameBack()
    {
        var (page, guest, owner) = OpenAsGuest();
        guest.RefuseRename = "That is the owner's name in this session: choose another.";
        await page.InvokeAsync(() => page.Find(NameInput).Change("Host"));
        page.WaitForAssertion(() => Assert.Contains("the owner's name", page.Find("[data-testid=name]").TextContent, StringComparison.Ordinal));

        await page.InvokeAsync(() => page.Find(NameInput).KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Escape" }));

        page.WaitForAssertion(() => Assert.Equal(guest.DisplayName, page.Find(NameInput).GetAttribute("value")));
        Assert.DoesNotContain("the owner's name", page.Find("[data-testid=name]").TextContent, StringComparison.Ordinal);
        Assert.Equal(["Host"], guest.Renames);
    }

    // Nothing refused before: the field must show the name again although the value it was last given is that name.
    [Theory]
    [InlineData("   ")]
    [InlineData("{name}  ")]
    public async Task AnEmptiedOrUnchangedFieldShowsTheNameAgainAndAsksForNothing(string typed)
    {
        var (page, guest, owner) = OpenAsGuest();

        await page.InvokeAsync(() => page.Find(NameInput).Change(typed.Replace("{name}", guest.DisplayName, StringComparison.Ordinal)));

        page.WaitForAssertion(() => Assert.Equal(guest.DisplayName, page.Find(NameInput).GetAttribute("value")));
        Assert.Empty(guest.Renames);
    }

    // One person, one name: a rename on the guest's other tab shows in this tab's field.
    [Fact]
    public async Task ANameChangedOnAnotherPageOfTheSamePersonShowsHere()
    {
        var (page, _, owner) = OpenAsGuest();
        var session = Live.Session(owner.SessionId);
        var otherTab = session.AddPageOf(session.MembersNow.Single(m => m.Role == LiveRole.Viewer));

        await page.InvokeAsync(() => otherTab.Rename("Robin"));

        page.WaitForAssertion(() => Assert.Equal("Robin", page.Find(NameInput).GetAttribute("value")));
    }

    // Somebody in the field may be typing a name of their own: a rename from their other tab waits until they leave it.
    [Fact]
    public async Task ANameChangedOnAnotherPageWaitsWhileThisFieldIsInUse()
    {
        var (page, _, owner) = OpenAsGuest();
        var session = Live.Session(owner.SessionId);
        var guest = session.MembersNow.Single(m => m.Role == LiveRole.Viewer);
        var name = guest.DisplayName;
        var otherTab = session.AddPageOf(guest);

        await page.InvokeAsync(() => page.Find("[data-testid=name]").FocusIn());
        await page.InvokeAsync(() => otherTab.Rename("Robin"));
        page.WaitForAssertion(() => Assert.Contains("Robin (you)", page.Find("[data-testid=members]").TextContent, StringComparison.Ordinal));
        Assert.Equal(name, page.Find(NameInput).GetAttribute("value"));

        await page.InvokeAsync(() => page.Find("[data-testid=name]").FocusOut());
        page.WaitForAssertion(() => Assert.Equal("Robin", page.Find(NameInput).GetAttribute("value")));
        Assert.Empty(guest.Renames);
    }

    // The owner's field sits in the member list's card, and the name this browser kept names the owner of the next session.
    [Fact]
    public async Task TheOwnerRenamesInTheMemberListAndTheKeptNameNamesTheNextSession()
    {
        JSInterop.SetupModule("./js/app.js").Setup<string?>("load", i => "nitro-name".Equals(i.Arguments[1])).SetResult("Maya");
        var page = RenderStudio();
        page.WaitForAssertion(() => Assert.Equal("Owner", page.Find("[data-testid=studio]").GetAttribute("data-role")));
        Assert.Equal("Maya", Assert.Single(Live.Created).DisplayName);
        var field = page.Find("[data-testid=members] [data-testid=name]");
        Assert.Equal("Maya", page.Find(NameInput).GetAttribute("value"));
        Assert.NotNull(field);

        await page.InvokeAsync(() => page.Find(NameInput).Change("Maya R."));
        page.WaitForAssertion(() => Assert.Contains("Maya R. (you)", page.Find("[data-testid=members]").TextContent, StringComparison.Ordinal));
    }

    // A guest joining with the kept name: a kept name the session would refuse for its length (edited by hand) is left out
    // rather than failing the join.
    [Theory]
    [InlineData("Robin", "Robin")]
    [InlineData("   ", null)]
    [InlineData("{too long}", null)]
    public void AGuestJoinsWithTheNameTheBrowserKept(string kept, string? joinedAs)
    {
        kept = kept == "{too long}" ? new string('n', 65) : kept;
        var owner = (FakeMember)Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        JSInterop.SetupModule("./js/app.js").Setup<string?>("load", i => "nitro-name".Equals(i.Arguments[1])).SetResult(kept);
        var page = RenderStudio(owner.SessionId);
        page.WaitForAssertion(() => Assert.Equal("Viewer", page.Find("[data-testid=studio]").GetAttribute("data-role")));

        var guest = Live.Session(owner.SessionId).MembersNow.Single(m => m.Role == LiveRole.Viewer);
        Assert.Equal(joinedAs ?? "Guest 2", guest.DisplayName);
    }

    // A session that knows this person keeps the name it knew (chosen there, perhaps, after the browser's last name): the
    // browser's name is for newcomers, and for a guest the session has forgotten.
    [Fact]
    public void ASessionThatKnowsTheGuestKeepsTheNameItKnew()
    {
        var owner = (FakeMember)Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        var robin = (FakeMember)Live.JoinSession(owner.SessionId, LiveRole.Viewer, "Robin");
        var app = JSInterop.SetupModule("./js/app.js");
        app.Setup<string?>("load", i => "nitro-name".Equals(i.Arguments[1])).SetResult("Bob");
        app.Setup<string?>("load", i => $"nitro-guest:{owner.SessionId}".Equals(i.Arguments[1])).SetResult(robin.GuestKey);

        var page = RenderStudio(owner.SessionId);
        page.WaitForAssertion(() => Assert.Equal("Viewer", page.Find("[data-testid=studio]").GetAttribute("data-role")));
        Assert.Null(Live.NamesGiven[^1]);
        Assert.Equal("Robin", page.Find(NameInput).GetAttribute("value"));
        Assert.All(Live.Members, m => Assert.Empty(m.Renames));
    }

    [Fact]
    public void AGuestTheSessionForgotJoinsUnderTheBrowsersName()
    {
        var owner = (FakeMember)Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        var app = JSInterop.SetupModule("./js/app.js");
        app.Setup<string?>("load", i => "nitro-name".Equals(i.Arguments[1])).SetResult("Bob");
        app.Setup<string?>("load", i => $"nitro-guest:{owner.SessionId}".Equals(i.Arguments[1])).SetResult("a-key-it-forgot");

        var page = RenderStudio(owner.SessionId);
        page.WaitForAssertion(() => Assert.Equal("Viewer", page.Find("[data-testid=studio]").GetAttribute("data-role")));
        var guest = Live.Session(owner.SessionId).MembersNow.Single(m => m.Role == LiveRole.Viewer);
        Assert.Equal(["Bob"], guest.Renames);
        Assert.Equal("Bob", guest.DisplayName);
    }

    [Fact]
    public void TheOwnersReloadKeepsTheNameTheSessionKnew()
    {
        var owner = (FakeMember)Live.CreateSession(new CreateSessionOptions("Maya", TypingOpen: false));
        var app = JSInterop.SetupModule("./js/app.js");
        app.Setup<string?>("load", i => "nitro-name".Equals(i.Arguments[1])).SetResult("Bob");
        app.Setup<string?>("load", i => $"nitro-owner:{owner.SessionId}".Equals(i.Arguments[1])).SetResult(owner.OwnerToken);

        var page = RenderStudio(owner.SessionId);
        page.WaitForAssertion(() => Assert.Equal("Owner", page.Find("[data-testid=studio]").GetAttribute("data-role")));
        Assert.Null(Live.NamesGiven[^1]);
    }

    // A guest's page in a session whose typing is closed: it joins as a viewer.
    private (IRenderedComponent<Studio> Page, FakeMember Guest, FakeMember Owner) OpenAsGuest()
    {
        var owner = (FakeMember)Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        var page = RenderStudio(owner.SessionId);
        page.WaitForAssertion(() => Assert.Equal("Viewer", page.Find("[data-testid=studio]").GetAttribute("data-role")));
        return (page, Live.Session(owner.SessionId).MembersNow.Single(m => m.Role == LiveRole.Viewer), owner);
    }

    private IRenderedComponent<Studio> RenderStudio(string? sessionId = null)
    {
        Render<MudPopoverProvider>();
        return Render<Studio>(p => p.Add(s => s.SessionId, sessionId));
    }
}
