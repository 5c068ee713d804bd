using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Bunit;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using NitroLive.Web.Components.Pages;
using NitroLive.Web.Components.Services;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Components;

public sealed class StudioPageTests : UiTestContext
{
    // MudBlazor puts a component's data-testid on its input or on an element around it, depending on the component.
    private const string DraftsSwitch = "input[data-testid=draft-while-typing], [data-testid=draft-while-typing] input";
    private const string SeedField = "input[data-testid=seed], [data-testid=seed] input";

    [Fact]
    public void TheStudioCreatesASessionItOwnsAndShowsWhoIsConnected()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => Assert.Equal("Owner", page.Find("[data-testid=studio]").GetAttribute("data-role")));

        var session = Live.OnlySession();
        Assert.False(session.TypingOpen);
        Live.JoinSession(session.Id, LiveRole.Viewer, "Phone");

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=member]").Count));
        Assert.Contains("Phone", page.Find("[data-testid=members]").TextContent, StringComparison.Ordinal);
        Assert.Contains(session.Id, page.Find("[data-testid=share-url]").GetAttribute("href"), StringComparison.Ordinal);
    }

    // A kiosk showing the session is a screen, not a person: the owner's list says "display" and offers nothing to press.
    [Fact]
    public void AKioskDisplayIsListedAsADisplayWithNothingToPress()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => Assert.Equal("Owner", page.Find("[data-testid=studio]").GetAttribute("data-role")));
        var session = Live.OnlySession();
        Live.JoinSession(session.Id, LiveRole.Viewer, "Kiosk", display: true);
        Live.JoinSession(session.Id, LiveRole.Viewer, "Phone");

        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-testid=member]").Count));
        var kiosk = page.FindAll("[data-testid=member]")[1];
        Assert.Equal("display", kiosk.QuerySelector(".nl-role")!.TextContent);
        Assert.Empty(kiosk.QuerySelectorAll("[data-testid=grant], [data-testid=revoke]"));
        Assert.Single(page.FindAll("[data-testid=member]")[2].QuerySelectorAll("[data-testid=grant]"));
    }

    [Fact]
    public async Task TheOwnerGrantsAndRevokesTyping()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        var phone = (FakeMember)Live.JoinSession(session.Id, LiveRole.Viewer, "Phone");

        await page.WaitForElementAsync("[data-testid=grant]", Timeout);
        await Click(page, "[data-testid=grant]");
        Assert.Equal(LiveRole.Typist, phone.Role);

        await page.WaitForElementAsync("[data-testid=revoke]", Timeout);
        await Click(page, "[data-testid=revoke]");
        Assert.Equal(LiveRole.Viewer, phone.Role);
    }

    // Members are not accounts: with typing open a stopped member could type again from another browser, and the owner is
    // told so.
    [Fact]
    public async Task StoppingAMemberWhileAnyoneCanTypeSaysAnotherBrowserCouldTypeAgain()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        var owner = session.MembersNow.Single();
        owner.SetTypingOpen(true);
        var phone = (FakeMember)Live.JoinSession(session.Id, LiveRole.Typist, "Phone");
        await page.WaitForElementAsync("[data-testid=revoke]", Timeout);
        Assert.Empty(page.FindAll("[data-testid=typing-open-note]"));

        await Click(page, "[data-testid=revoke]");
        Assert.Equal(LiveRole.Viewer, phone.Role);
        page.WaitForAssertion(() => Assert.Contains("could join again from another", page.Find("[data-testid=typing-open-note]").TextContent, StringComparison.Ordinal));

        owner.SetTypingOpen(false);
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=typing-open-note]")));
    }

    // While the page joins its session nobody may type yet, but the field is not a viewer's: no "(live)", no eye, which
    // told an owner for a moment that they could not type.
    [Fact]
    public void AFieldStillJoiningIsNotMarkedAsAViewersField()
    {
        var owner = (FakeMember)Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        var eye = System.Text.RegularExpressions.Regex.Matches(Icons.Material.Outlined.Visibility, "d=\"([^\"]+)\"")[^1].Groups[1].Value;
        var storage = JSInterop.Setup<string?>("load", _ => true); // unanswered: the page is still joining
        var page = RenderStudio(owner.SessionId);

        page.WaitForAssertion(() => Assert.True(page.Find("#prompt").HasAttribute("readonly")));
        Assert.DoesNotContain("(live)", page.Find("[data-testid=prompt-box]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(eye, page.Find("[data-testid=prompt-box]").InnerHtml, StringComparison.Ordinal);

        storage.SetResult(null);
        page.WaitForAssertion(() => Assert.Equal("Viewer", page.Find("[data-testid=studio]").GetAttribute("data-role")));
        Assert.Contains("Prompt (live)", page.Find("[data-testid=prompt-box]").TextContent, StringComparison.Ordinal);
        Assert.Contains(eye, page.Find("[data-testid=prompt-box]").InnerHtml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASharedLinkOpensAsViewerAndTypingFollowsTheOwnersGrant()
    {
        var owner = (FakeMember)Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        var page = RenderStudio(owner.SessionId);

        page.WaitForAssertion(() => Assert.Equal("Viewer", page.Find("[data-testid=studio]").GetAttribute("data-role")));
        Assert.True(page.Find("#prompt").HasAttribute("readonly"));
        // Who is here, to read: nothing of the owner's to press.
        Assert.Equal(["Owner", "Guest 2"], page.FindAll("[data-testid=member] .nl-member-name").Select(m => m.TextContent));
        Assert.Single(page.FindAll("[data-testid=member]")[1].QuerySelectorAll(".nl-member-you"));
        Assert.Empty(page.FindAll("[data-testid=typing-open], [data-testid=grant], [data-testid=revoke], [data-testid=typing-open-note]"));
        Assert.Contains("watching", page.Find("[data-testid=role-note]").TextContent, StringComparison.Ordinal);
        Assert.All(page.FindAll("[data-testid=controls] button"), b => Assert.True(b.HasAttribute("disabled"), b.OuterHtml));
        // The drafts switch and the seed field are inputs, not buttons, and must be shut to a viewer as well (the seed
        // field is named on its own: it has a second reason to be disabled, a seed mode other than Fixed, not the case here).
        Assert.Equal(SeedMode.Fixed, Live.OnlySession().Request.SeedMode);
        Assert.True(page.Find(DraftsSwitch).HasAttribute("disabled"));
        Assert.True(page.Find(SeedField).HasAttribute("disabled"));
        Assert.All(page.FindAll("[data-testid=controls] input"), i => Assert.True(i.HasAttribute("disabled"), i.OuterHtml));

        // The owner's typing shows up live in the viewer's field.
        owner.SetPrompt("a red circle");
        page.WaitForAssertion(() => Assert.Equal("a red circle", page.Find("#prompt").GetAttribute("value")));

        // Granted: the field opens, a toast says so, and keystrokes reach the session.
        var toasts = Render<MudSnackbarProvider>();
        Assert.DoesNotContain("You may type", toasts.Markup, StringComparison.Ordinal); // joining as a viewer is no change
        Assert.DoesNotContain("took typing back", toasts.Markup, StringComparison.Ordinal);
        var viewer = Live.OnlySession().MembersNow.Single(m => m.Role == LiveRole.Viewer);
        owner.GrantTyping(viewer.MemberId);
        page.WaitForAssertion(() => Assert.False(page.Find("#prompt").HasAttribute("readonly")));
        toasts.WaitForAssertion(() => Assert.Contains("You may type now", toasts.Markup, StringComparison.Ordinal));
        owner.SetPrompt("a red circle again"); // later states of the same role: no second toast
        page.WaitForAssertion(() => Assert.Equal("a red circle again", page.Find("#prompt").GetAttribute("value")));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(toasts.Markup, "You may type now"));
        Assert.False(page.Find(DraftsSwitch).HasAttribute("disabled"));
        Assert.False(page.Find(SeedField).HasAttribute("disabled"));

        await page.InvokeAsync(() => page.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "a red circle on blue" }));
        await AdvanceAsync(TimeSpan.FromMilliseconds(100));
        page.WaitForAssertion(() => Assert.Equal("a red circle on blue", Live.OnlySession().Request.Prompt));
        Assert.Contains("a red circle on blue", viewer.Prompts);

        // Stopped, mid-sentence perhaps: the field shuts and a toast says why the keys do nothing now.
        owner.RevokeTyping(viewer.MemberId);
        page.WaitForAssertion(() => Assert.True(page.Find("#prompt").HasAttribute("readonly")));
        toasts.WaitForAssertion(() => Assert.Contains("The owner took typing back", toasts.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AViewerIsToldWhenTheOwnerHasLeftAndWhenTheyAreBack()
    {
        var owner = (FakeMember)Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        var page = RenderStudio(owner.SessionId);
        page.WaitForAssertion(() => Assert.Contains("The owner can let you type", page.Find("[data-testid=role-note]").TextContent, StringComparison.Ordinal));

        await owner.DisposeAsync();
        page.WaitForAssertion(() => Assert.Equal(
            "The owner has left: the picture stays as it is until they come back.", page.Find("[data-testid=role-note]").TextContent.Trim()));

        Live.JoinSession(owner.SessionId, LiveRole.Owner, ownerToken: owner.OwnerToken);
        page.WaitForAssertion(() => Assert.Contains("The owner can let you type", page.Find("[data-testid=role-note]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ALinkFromASharedSessionToTheStudioLeavesThatSessionForOneOfItsOwn()
    {
        // The router keeps the page and only changes its parameter (/s/{id} to /), as a "Start your own" click does.
        var owner = (FakeMember)Live.CreateSession(new CreateSessionOptions(TypingOpen: true));
        var shared = Live.Session(owner.SessionId);
        var page = RenderStudio(owner.SessionId);
        page.WaitForAssertion(() => Assert.Equal("Typist", page.Find("[data-testid=studio]").GetAttribute("data-role")));
        Assert.Equal(2, shared.MemberCount);

        await page.InvokeAsync(() => page.Render(p => p.Add(s => s.SessionId, null)));

        page.WaitForAssertion(() => Assert.Equal("Owner", page.Find("[data-testid=studio]").GetAttribute("data-role")), Timeout);
        Assert.Equal(1, shared.MemberCount);
        var own = Live.Members.Last();
        Assert.NotEqual(owner.SessionId, own.SessionId);
        Assert.Contains(own.SessionId, page.Find("[data-testid=share-url]").GetAttribute("href"), StringComparison.Ordinal);

        // Typing now goes to the page's own session, not the one it left.
        page.WaitForAssertion(() => Assert.False(page.Find("#prompt").HasAttribute("readonly")), Timeout);
        await page.InvokeAsync(() => page.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "a green square" }));
        await AdvanceAsync(TimeSpan.FromMilliseconds(100));
        page.WaitForAssertion(() => Assert.Equal("a green square", Live.Session(own.SessionId).Request.Prompt), Timeout);
        Assert.NotEqual("a green square", shared.Request.Prompt);
    }

    [Fact]
    public async Task AStudioClosedWhileItsNewSessionIsBeingStoredLeavesThatSession()
    {
        // The browser has not yet answered the call that stores the new session when the tab goes away; it answers after.
        var save = JSInterop.SetupVoid("save", _ => true);
        var page = RenderStudio();
        page.WaitForAssertion(() => Assert.NotEmpty(save.Invocations), Timeout);
        var session = Live.OnlySession();
        Assert.Equal(1, session.MemberCount);

        await DisposeComponentsAsync();
        save.SetVoidResult();

        using var deadline = new CancellationTokenSource(Timeout);
        while (session.MemberCount > 0)
        {
            await Task.Delay(10, deadline.Token);
        }
    }

    [Fact]
    public async Task TypingInTheStudioChangesTheSessionPrompt()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => Assert.False(page.Find("#prompt").HasAttribute("readonly")));

        await page.InvokeAsync(() => page.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "a yellow sun" }));
        await AdvanceAsync(TimeSpan.FromMilliseconds(100));

        page.WaitForAssertion(() => Assert.Equal("a yellow sun", Live.OnlySession().Request.Prompt));
    }

    [Fact]
    public async Task SeedModesAndVariationReachTheSession()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=seed-mode]"));
        var session = Live.OnlySession();

        await ClickText(page, "[data-testid=seed-mode]", "New per prompt");
        page.WaitForAssertion(() => Assert.Equal(SeedMode.PerRequest, session.Request.SeedMode));
        Assert.Contains(session.Patches, p => p.SeedMode == SeedMode.PerRequest);

        await ClickText(page, "[data-testid=seed-mode]", "Fixed");
        page.WaitForAssertion(() => Assert.Equal(SeedMode.Fixed, session.Request.SeedMode));

        var seedBefore = session.Request.Seed;
        await Click(page, "[data-testid=variation]");
        Assert.Equal(1, session.Rerolls);
        Assert.NotEqual(seedBefore, session.Request.Seed);

        await ClickText(page, "[data-testid=steps]", "3");
        page.WaitForAssertion(() => Assert.Equal(3, session.Request.Steps));

        // Drafts while typing: on for a new session, and the switch turns them off for this session.
        Assert.True(session.Request.DraftWhileTyping);
        await page.Find(DraftsSwitch).ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = false });
        page.WaitForAssertion(() => Assert.False(session.Request.DraftWhileTyping));
        Assert.Contains(session.Patches, p => p.DraftWhileTyping == false);
    }

    [Theory]
    [InlineData(false, "in one step first")]
    [InlineData(true, "a faster decoder")]
    public void TheDraftsSwitchSaysWhatADraftIsForTheSessionsVariant(bool tinyDecoder, string expected)
    {
        Live.Limits = Live.Limits with { ModelVariants = [new LiveModelVariant("tiny", "nitro-tiny") { DraftsUseTinyDecoder = tinyDecoder }] };
        var page = RenderStudio();

        page.WaitForAssertion(() => Assert.Contains(expected, page.Find("[data-testid=draft-while-typing]").GetAttribute("title") ?? string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public void FramesGoToTheBrowserAsBytesNotStrings()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        session.MembersNow.Single().SetPrompt("a red circle");
        var frame = session.PublishFrame();

        page.WaitForAssertion(() =>
        {
            var show = Assert.Single(JSInterop.Invocations, i => i.Identifier == "show");
            Assert.Same(frame.Image, Assert.IsType<byte[]>(show.Arguments[1]));
            Assert.Equal("image/jpeg", show.Arguments[2]);
        });
        Assert.DoesNotContain("data:image", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADownloadTheBrowserDoesNotTakeLeavesThePageAndItsSessionAsTheyWere()
    {
        JSInterop.SetupVoid("saveBytes", _ => true).SetException(new Microsoft.JSInterop.JSException("The browser refused the file."));
        var (page, _) = RenderStudioWithAPicture();
        var session = Live.OnlySession();

        await Click(page, "[data-testid=download]");

        Assert.Single(JSInterop.Invocations, i => i.Identifier == "saveBytes");
        Assert.Equal(1, session.MemberCount);
        Assert.Equal("Owner", page.Find("[data-testid=studio]").GetAttribute("data-role"));
    }

    // Copying happens in the browser, from what the canvas shows: the page only says how it went.
    [Theory]
    [InlineData("copied", "Picture copied.")]
    [InlineData("refused", "did not let the picture be copied")]
    [InlineData("insecure", "needs a secure page")]
    public async Task CopyPictureSaysWhetherTheBrowserTookIt(string outcome, string said)
    {
        JSInterop.Setup<string>("copyPicture", _ => true).SetResult(outcome);
        var toasts = Render<MudSnackbarProvider>();
        var (page, owner) = RenderStudioWithAPicture();

        await Click(page, "[data-testid=copy-picture]");

        // The server's full-quality picture, as for a download.
        var copy = Assert.Single(JSInterop.Invocations, i => i.Identifier == "copyPicture");
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], Assert.IsType<byte[]>(copy.Arguments[1]));
        Assert.Equal(1, owner.PngRequests);
        toasts.WaitForAssertion(() => Assert.Contains(said, toasts.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task CopyPictureCopiesWhatTheScreenShowsWhenTheServerNoLongerHoldsTheFrame()
    {
        JSInterop.Setup<string>("copyPicture", _ => true).SetResult("copied");
        var (page, owner) = RenderStudioWithAPicture();
        owner.PngGone = true;

        await Click(page, "[data-testid=copy-picture]");

        Assert.Null(Assert.Single(JSInterop.Invocations, i => i.Identifier == "copyPicture").Arguments[1]);
    }

    [Fact]
    public void WhileThePromptIsEmptyTheStudioShowsItsPlaceholderNotTheModelsUnpromptedPicture()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        var owner = session.MembersNow.Single();

        // A new session's empty prompt gets a picture, but the studio neither draws nor keeps it.
        session.PublishFrame();
        owner.SetPrompt("a red circle");
        var red = session.PublishFrame();
        page.WaitForAssertion(() => Assert.Single(JSInterop.Invocations, i => i.Identifier == "show"));
        Assert.Equal(red.Sequence, JSInterop.Invocations.Single(i => i.Identifier == "show").Arguments[3]);
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=frame-placeholder]")));

        // Cleared: the placeholder covers the last picture, and there is nothing to download.
        owner.SetPrompt(string.Empty);
        session.PublishFrame();
        page.WaitForAssertion(() => Assert.Contains("Type a prompt", page.Find("[data-testid=frame-placeholder]").TextContent, StringComparison.Ordinal));
        Assert.Equal("true", page.Find("[data-testid=frame]").GetAttribute("aria-hidden"));
        Assert.True(page.Find("[data-testid=download]").HasAttribute("disabled"));
        Assert.Single(JSInterop.Invocations, i => i.Identifier == "show");
        Assert.Single(page.FindAll("[data-testid=history-item]"));

        // Typing again brings the picture back.
        owner.SetPrompt("a blue square");
        session.PublishFrame();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=frame-placeholder]")));
        Assert.Null(page.Find("[data-testid=frame]").GetAttribute("aria-hidden"));
    }

    [Fact]
    public void WithOneVariantTheStudioShowsTheModelsOwnNameAndNoSwitch()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));

        Assert.Empty(page.FindAll("[data-testid=variant]"));
        Assert.Equal("nitro-tiny", page.Find("[data-testid=model-name]").TextContent.Trim());
    }

    [Fact]
    public async Task TheStudioSuggestsTheFirstFourExamplePromptsOfTheSessionsVariantAndAClickShowsOneWithoutADraft()
    {
        Live.Limits = Live.Limits with
        {
            ModelVariant = "realism",
            ModelVariants =
            [
                new LiveModelVariant("realism", "Realism") { ExamplePrompts = ["r1", "r2", "r3", "r4", "r5"] },
                new LiveModelVariant("vibrant", "Vibrant") { ExamplePrompts = ["v1", "v2"] },
            ],
            DefaultRequest = Live.Limits.DefaultRequest with { ModelVariant = "realism" },
        };
        var page = RenderStudio();
        string[] Suggestions() => [.. page.FindAll("[aria-label='Example prompts'] .nl-chip").Select(e => e.TextContent.Trim())];
        page.WaitForAssertion(() => Assert.Equal(["r1", "r2", "r3", "r4"], Suggestions()));

        await ClickText(page, "[data-testid=variant]", "Vibrant");
        page.WaitForAssertion(() => Assert.Equal(["v1", "v2"], Suggestions()));

        await page.InvokeAsync(() => page.FindAll("[aria-label='Example prompts'] .nl-chip")[1].Click());
        var session = Live.OnlySession();
        page.WaitForAssertion(() => Assert.Equal("v2", session.Request.Prompt));
        // Picked whole, not typed: shown, so its picture is drawn in full at once rather than as a draft first.
        Assert.Equal(["v2"], session.MembersNow.Single().ShownPrompts);
        Assert.Equal("v2", page.Find("#prompt").GetAttribute("value"));
        // With a prompt there is nothing to suggest.
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[aria-label='Example prompts']")));
    }

    [Fact]
    public void UnderThePromptTheStudioNamesTheWordsTheModelDoesNotKnow()
    {
        Live.Limits = Live.Limits with
        {
            ModelVariants = [new LiveModelVariant("tiny", "nitro-tiny") { Vocabulary = ["a", "red", "circle", "on", "blue", "background"] }],
        };
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var owner = Live.OnlySession().MembersNow.Single();
        string Help() => page.Find("[data-testid=prompt-box] .mud-input-helper-text").TextContent.Trim();
        Assert.Equal("Pictures follow as you type. Enter draws it in full at once.", Help());

        owner.SetPrompt("a red cat on a bl");
        page.WaitForAssertion(() => Assert.Equal("This model does not know the word “cat” and leaves it out.", Help()));
        // Announced as it appears: a screen reader reads a field's help only when the field gets focus.
        Assert.Equal("polite", page.Find("[data-testid=vocabulary-hint]").GetAttribute("aria-live"));
        Assert.Equal(Help(), page.Find("[data-testid=vocabulary-hint]").TextContent.Trim());

        owner.SetPrompt("a red cat on a green dog");
        page.WaitForAssertion(() => Assert.Equal("This model does not know the words “cat”, “green”, “dog” and leaves them out.", Help()));

        owner.SetPrompt("a red circle");
        page.WaitForAssertion(() => Assert.Equal("Pictures follow as you type. Enter draws it in full at once.", Help()));
        Assert.Equal(string.Empty, page.Find("[data-testid=vocabulary-hint]").TextContent.Trim());
    }

    [Fact]
    public void AModelThatNamesNoExamplePromptsGetsNoSuggestions()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));

        Assert.Empty(Live.Limits.ModelVariants[0].ExamplePrompts);
        Assert.Empty(page.FindAll("[aria-label='Example prompts']"));
    }

    [Fact]
    public async Task WithTwoVariantsTheStudioSwitchesBetweenRealismAndVibrant()
    {
        Live.Limits = Live.Limits with
        {
            ModelVariant = "realism",
            ModelVariants = [new LiveModelVariant("realism", "Realism"), new LiveModelVariant("vibrant", "Vibrant")],
            DefaultRequest = Live.Limits.DefaultRequest with { ModelVariant = "realism" },
        };
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=variant]"));
        Assert.Empty(page.FindAll("[data-testid=model-name]"));
        Assert.Equal(["Realism", "Vibrant"], page.Find("[data-testid=variant]").Children.Select(e => e.TextContent.Trim()).Where(t => t.Length > 0));

        await ClickText(page, "[data-testid=variant]", "Vibrant");

        var session = Live.OnlySession();
        page.WaitForAssertion(() => Assert.Equal("vibrant", session.Request.ModelVariant));
        Assert.Contains(session.Patches, p => p.ModelVariant == "vibrant");

        // A viewer of the session sees the choice, but cannot change it.
        await using var viewer = Live.JoinSession(session.Id, LiveRole.Viewer);
        var view = Render<Studio>(p => p.Add(s => s.SessionId, session.Id));
        view.WaitForAssertion(() =>
            Assert.Equal("Vibrant", view.Find("[data-testid=variant] [aria-checked=true]").TextContent.Trim()));
        Assert.All(view.FindAll("[data-testid=variant] button"), b => Assert.True(b.HasAttribute("disabled")));
    }

    // The tab's stored session ended while it was away (a reload after the grace period): a new one opens, and says so.
    [Fact]
    public async Task AStudioWhoseEarlierSessionEndedSaysThisIsANewOne()
    {
        JSInterop.SetupModule("./js/app.js").Setup<string?>("load", i => "session".Equals(i.Arguments[0])).SetResult("gone-session");
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));

        Assert.NotEqual("gone-session", Live.OnlySession().Id);
        Assert.Contains("Your earlier session had ended", page.Find("[data-testid=session-ended-note]").TextContent, StringComparison.Ordinal);
        await page.InvokeAsync(() => page.Find("[data-testid=session-ended-dismiss]").Click());
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=session-ended-note]")));
    }

    // A guest's reload comes back as the same guest: the page offers the key this browser kept for the session and keeps
    // the one the session gives.
    [Fact]
    public void ASharedSessionsPageOffersTheGuestKeyItKeptAndKeepsTheOneItIsGiven()
    {
        var owner = (FakeMember)Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        var app = JSInterop.SetupModule("./js/app.js");
        app.Setup<string?>("load", i => "local".Equals(i.Arguments[0]) && $"nitro-guest:{owner.SessionId}".Equals(i.Arguments[1])).SetResult("kept-key");
        app.Setup<string?>("load", i => !$"nitro-guest:{owner.SessionId}".Equals(i.Arguments[1])).SetResult(null);
        var save = app.SetupVoid("save", _ => true);
        save.SetVoidResult();

        var page = RenderStudio(owner.SessionId);
        page.WaitForAssertion(() => Assert.Equal("Viewer", page.Find("[data-testid=studio]").GetAttribute("data-role")));

        Assert.Equal("kept-key", Assert.Single(Live.GuestKeysOffered));
        var guest = Live.Session(owner.SessionId).MembersNow.Single(m => m.Role == LiveRole.Viewer);
        page.WaitForAssertion(() => Assert.Contains(JSInterop.Invocations, i => i.Identifier == "save"
            && "local".Equals(i.Arguments[0]) && $"nitro-guest:{owner.SessionId}".Equals(i.Arguments[1]) && Equals(guest.GuestKey, i.Arguments[2])));
    }

    [Fact]
    public void AFirstVisitSaysNothingAboutAnEarlierSession()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        Assert.Empty(page.FindAll("[data-testid=session-ended-note]"));
    }

    [Fact]
    public async Task AStorageReadLostWithTheConnectionIsRetriedOnceTheBrowserIsBack()
    {
        // The browser never answers the studio's read of its stored session: the socket dropped with it in flight.
        var load = JSInterop.SetupModule("./js/app.js").Setup<string?>("load", _ => true);
        var page = RenderStudio();
        page.WaitForAssertion(() => Assert.Single(JSInterop.Invocations, i => i.Identifier == "load"));
        var connection = Services.GetRequiredService<CircuitConnection>();
        await page.InvokeAsync(connection.Down);
        Assert.True(JSInterop.Invocations["load"].Single().CancellationToken?.IsCancellationRequested);
        load.SetCanceled();
        Assert.Empty(page.FindAll("[data-testid=members]"));

        // Back: the studio reads again and opens its one session.
        load.SetResult(null);
        await page.InvokeAsync(connection.Up);
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));

        // Read through WaitForAssertion: the opened studio goes on calling into JS on the renderer's thread, and bUnit's
        // invocation list must not be enumerated while it grows (measured: "Collection was modified" in one CI run).
        // The lost read, then the stored name's and the stored session's.
        page.WaitForAssertion(() => Assert.Equal(
            ["nitro-name", "nitro-name", "nitro-studio"],
            JSInterop.Invocations.Where(i => i.Identifier == "load").Select(i => (string?)i.Arguments[1])));
        Assert.NotNull(Live.OnlySession());
    }

    [Fact]
    public async Task AFrameLostWithTheConnectionIsShownAgainOnceTheBrowserIsBack()
    {
        // The browser never answers the first show: the socket dropped with the call in flight.
        var show = JSInterop.SetupModule("./js/frames.js").Setup<double>("show", _ => true);
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        session.MembersNow.Single().SetPrompt("a red circle");
        var frame = session.PublishFrame();
        page.WaitForAssertion(() => Assert.Single(JSInterop.Invocations, i => i.Identifier == "show"));

        // The connection drops: the call's token fires (the real JS runtime then cancels the call; bUnit's is told).
        var connection = Services.GetRequiredService<CircuitConnection>();
        await page.InvokeAsync(connection.Down);
        Assert.True(JSInterop.Invocations["show"].Single().CancellationToken?.IsCancellationRequested);
        show.SetCanceled();
        await AdvanceAsync(TimeSpan.FromSeconds(6), TimeSpan.FromMilliseconds(250));
        Assert.Single(JSInterop.Invocations, i => i.Identifier == "show");

        // Reconnected, with no newer frame on the way: the same frame goes to the browser again.
        show.SetResult(1);
        await page.InvokeAsync(connection.Up);
        page.WaitForAssertion(() =>
        {
            var shows = JSInterop.Invocations.Where(i => i.Identifier == "show").ToList();
            Assert.Equal(2, shows.Count);
            Assert.All(shows, i => Assert.Equal(frame.Sequence, i.Arguments[3]));
        });
    }

    // A reload keeps the strip: the page hands it to the browser with a key, and a page opened later takes back what the
    // browser kept under that key (ahead of nothing: the session's own picture goes first) and can restore from it.
    // After a Variation or a restore the thumbnails can look alike: the one on screen is marked (and aria-current),
    // and none while the placeholder covers the picture.
    [Fact]
    public void TheHistoryMarksThePictureOnScreen()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        var owner = session.MembersNow.Single();

        owner.SetPrompt("a red circle");
        session.PublishFrame();
        page.WaitForAssertion(() => Assert.Equal("true", page.Find("[data-testid=history-item]").GetAttribute("aria-current")));
        owner.SetPrompt("a blue square");
        session.PublishFrame();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=history-item]").Count));
        page.WaitForAssertion(() => Assert.Equal(["true", null], page.FindAll("[data-testid=history-item]").Select(b => b.GetAttribute("aria-current"))));
        Assert.Contains("a blue square", page.Find("[data-testid=history-item][aria-current=true]").GetAttribute("aria-label"), StringComparison.Ordinal);
        Assert.Single(page.FindAll(".nl-thumb.is-current"));

        owner.SetPrompt(string.Empty);
        session.PublishFrame();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=history-item][aria-current]")));
    }

    [Fact]
    public async Task TheHistoryTheBrowserKeptComesBackAfterAReload()
    {
        var frames = JSInterop.SetupModule("./js/frames.js");
        frames.Setup<string?>("restoreThumbs", i => "nitro-history".Equals(i.Arguments[1])).SetResult(
            """
            [{"id":-1,"request":{"prompt":"a blue sea","steps":2,"seedMode":0,"seed":7,"width":128,"height":128,"modelVariant":"tiny"}},
             {"id":-2,"request":{"prompt":"","steps":1,"seedMode":0,"seed":1,"width":128,"height":128,"modelVariant":"tiny"}},
             {"id":-3,"request":{"prompt":"a green hill","steps":1,"seedMode":0,"seed":9,"width":128,"height":128,"modelVariant":"tiny"}}]
            """);
        var page = RenderStudio();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=history-item]").Count));
        Assert.Equal(["-1", "-3"], page.FindAll("[data-testid=history-item] img").Select(img => img.GetAttribute("data-frame")));
        Assert.Contains("a blue sea", page.FindAll("[data-testid=history-item]")[0].GetAttribute("aria-label"), StringComparison.Ordinal);

        await page.InvokeAsync(() => page.FindAll("[data-testid=history-item]")[0].Click());
        var session = Live.OnlySession();
        var owner = session.MembersNow.Single();
        var restored = Assert.Single(owner.ShownRequests);
        Assert.Equal(("a blue sea", 2, 7L), (restored.Prompt, restored.Steps, restored.Seed));

        // What the strip holds now goes back to the browser under the same key, the new picture first.
        session.PublishFrame();
        page.WaitForAssertion(() =>
        {
            Assert.Equal("nitro-history", JSInterop.Invocations.Last(i => i.Identifier == "fillThumbs").Arguments[2]);
            var thumbnails = page.FindAll("[data-testid=history-item] img");
            Assert.Equal(2, thumbnails.Count);
            Assert.True(long.Parse(thumbnails[0].GetAttribute("data-frame")!, CultureInfo.InvariantCulture) > 0);
            Assert.Equal("-3", thumbnails[1].GetAttribute("data-frame"));
            var kept = SavedHistory.Parse($"[{{\"id\":-1,\"request\":{thumbnails[0].GetAttribute("data-request")}}}]", 12, 500);
            Assert.Equal(("a blue sea", 2, 7L), (kept[0].Request.Prompt, kept[0].Request.Steps, kept[0].Request.Seed));
        });
    }

    // The history is a convenience: a browser that fails to give it back, or never answers, costs the first frame at
    // most one browser call's bound.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TheFirstFrameComesWhenTheBrowserCannotGiveTheHistoryBack(bool fails)
    {
        var restore = JSInterop.SetupModule("./js/frames.js").Setup<string?>("restoreThumbs", _ => true);
        if (fails)
        {
            restore.SetException(new Microsoft.JSInterop.JSException("storage is disabled"));
        }

        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        session.MembersNow.Single().SetPrompt("a red circle");
        session.PublishFrame();
        if (!fails)
        {
            await Task.Delay(50);
            Assert.DoesNotContain(JSInterop.Invocations, i => i.Identifier == "show");
            await AdvanceAsync(CircuitConnection.CallTimeout + TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(250));

            // The call's token fired: the real JS runtime then cancels the call (bUnit's is told).
            Assert.True(JSInterop.Invocations["restoreThumbs"].Single().CancellationToken?.IsCancellationRequested);
            restore.SetCanceled();
        }

        page.WaitForAssertion(() => Assert.Contains(JSInterop.Invocations, i => i.Identifier == "show"));
        Assert.Empty(page.FindAll("[data-testid=history-item] img[data-frame^='-']"));
    }

    [Fact]
    public void ASharedSessionsPageKeepsItsHistoryUnderThatSession()
    {
        var owner = (FakeMember)Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        var restore = JSInterop.SetupModule("./js/frames.js").Setup<string?>("restoreThumbs", _ => true);
        restore.SetResult(null);
        var page = RenderStudio(owner.SessionId);

        page.WaitForAssertion(() => Assert.Equal($"nitro-history:{owner.SessionId}", Assert.Single(JSInterop.Invocations, i => i.Identifier == "restoreThumbs").Arguments[1]));
    }

    [Fact]
    public async Task SelectingAHistoryFrameRestoresItsPromptAndSeed()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        var owner = session.MembersNow.Single();

        owner.UpdateRequest(new LiveRequestPatch(Prompt: "a blue sea", Seed: 7, Steps: 2));
        session.PublishFrame();
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=history-item]")));
        owner.UpdateRequest(new LiveRequestPatch(Prompt: "a green hill", Seed: 9, SeedMode: SeedMode.PerRequest, Steps: 4));
        session.PublishFrame();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=history-item]").Count));

        // Newest first: the second item is "a blue sea".
        await page.InvokeAsync(() => page.FindAll("[data-testid=history-item]")[1].Click());

        Assert.Equal("a blue sea", session.Request.Prompt);
        Assert.Equal(7, session.Request.Seed);
        Assert.Equal(SeedMode.Fixed, session.Request.SeedMode);
        Assert.Equal(2, session.Request.Steps); // the picture back exactly: its steps (and size and variant) too
        Assert.Equal("a blue sea", page.Find("#prompt").GetAttribute("value"));
        // A picture chosen again is shown, not typed: drawn in full at once, without a draft first.
        Assert.Equal("a blue sea", Assert.Single(owner.ShownRequests).Prompt);
    }

    [Fact]
    public async Task RestoringAPictureDrawnWithTheSeedInUseClearsASeedTypedWrong()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        var owner = session.MembersNow.Single();
        owner.UpdateRequest(new LiveRequestPatch(Prompt: "a blue sea", Seed: 7, SeedMode: SeedMode.Fixed));
        session.PublishFrame();
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=history-item]")));

        // Seed 7 on screen first: a state arriving after the typing would rightly replace it and clear the mark.
        page.WaitForAssertion(() => Assert.Equal("7", page.Find("[data-testid=seed] input, input[data-testid=seed]").GetAttribute("value")));
        await page.InvokeAsync(() => page.Find("[data-testid=seed] input, input[data-testid=seed]").Change("7?"));
        page.WaitForAssertion(() => Assert.Contains("A whole number", page.Markup, StringComparison.Ordinal));
        await page.InvokeAsync(() => page.Find("[data-testid=history-item]").Click());

        page.WaitForAssertion(() => Assert.DoesNotContain("A whole number", page.Markup, StringComparison.Ordinal));
        Assert.Equal("7", page.Find("[data-testid=seed] input, input[data-testid=seed]").GetAttribute("value"));
        Assert.Equal(7, session.Request.Seed);
    }

    // Several people may type in a shared session: the field's label says whose prompt is on screen when it is not yours.
    [Fact]
    public async Task ThePromptFieldNamesWhoTypedItWhenSomeoneElseDid()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        var owner = session.MembersNow.Single();

        owner.SetPrompt("a blue sea");
        page.WaitForAssertion(() => Assert.Equal("a blue sea", page.Find("#prompt").GetAttribute("value")));
        Assert.DoesNotContain("typed by", page.Find("[data-testid=prompt-box]").TextContent, StringComparison.Ordinal); // yours

        var guest = session.Add(LiveRole.Typist, "Alex", token: null);
        guest.SetPrompt("a red sun");
        page.WaitForAssertion(() => Assert.Contains("Prompt, Alex is typing…", page.Find("[data-testid=prompt-box]").TextContent, StringComparison.Ordinal));
        await AdvanceAsync(Studio.TypingMarkFor + TimeSpan.FromMilliseconds(50));
        page.WaitForAssertion(() => Assert.Contains("Prompt, typed by Alex", page.Find("[data-testid=prompt-box]").TextContent, StringComparison.Ordinal));

        await page.InvokeAsync(() => page.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "a red sun at night" }));
        page.WaitForAssertion(() => Assert.DoesNotContain("typed by", page.Find("[data-testid=prompt-box]").TextContent, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("a red", "a red ", true)]
    [InlineData("a red circle", "a red circl", true)]
    [InlineData("a red circle", "a big red circle", true)] // a word typed in the middle, sent at once
    [InlineData("a red circle", "a blue circle", true)] // a word replaced, keys coalesced
    [InlineData("", "a", true)]
    [InlineData("", "a red circle on a blue background", false)] // an example picked
    [InlineData("a red circle", "a yellow triangle on white", false)] // a history entry restored, a playlist moving on
    [InlineData("a red circle on a blue background", "b", false)] // all selected and typed over: its next keys look typed
    public void OnlyAFewKeystrokesLookLikeTyping(string before, string after, bool typed) =>
        Assert.Equal(typed, Studio.LooksTyped(before, after));

    // A prompt that moves is being typed: the field and the owner's members panel say by whom while the changes come, and
    // stop saying it once they pause; the typist's own changes are never marked.
    [Fact]
    public async Task SomebodyElsesTypingIsMarkedWhileItLastsAndNotAfter()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        var guest = session.Add(LiveRole.Typist, "Alex", token: null);
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=member]").Count));
        Assert.Empty(page.FindAll("[data-testid=typing-now]"));

        guest.SetPrompt("a red");
        page.WaitForAssertion(() => Assert.Contains("Alex is typing…", page.Find("[data-testid=prompt-box]").TextContent, StringComparison.Ordinal));
        var marked = page.Find("[data-testid=typing-now]").Closest("[data-testid=member]")!;
        Assert.Contains("Alex", marked.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("may type", marked.TextContent, StringComparison.Ordinal); // the mark takes the role's place

        // Each change keeps the mark for the whole interval again.
        await AdvanceAsync(Studio.TypingMarkFor - TimeSpan.FromMilliseconds(300));
        guest.SetPrompt("a red sun");
        await AdvanceAsync(TimeSpan.FromMilliseconds(600));
        page.WaitForAssertion(() => Assert.Contains("Alex is typing…", page.Find("[data-testid=prompt-box]").TextContent, StringComparison.Ordinal));
        Assert.Single(page.FindAll("[data-testid=typing-now]"));

        await AdvanceAsync(Studio.TypingMarkFor);
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=typing-now]")));
        Assert.Contains("may type", page.FindAll("[data-testid=member]")[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("typed by Alex", page.Find("[data-testid=prompt-box]").TextContent, StringComparison.Ordinal);

        // A prompt shown whole (an example or a history entry picked) is nobody typing: no mark.
        guest.ShowPrompt("a yellow triangle on a white background");
        page.WaitForAssertion(() => Assert.Equal("a yellow triangle on a white background", page.Find("#prompt").GetAttribute("value")));
        Assert.Empty(page.FindAll("[data-testid=typing-now]"));

        // A settings change by the same member moves no prompt: no mark.
        guest.UpdateRequest(new LiveRequestPatch(Seed: 99, SeedMode: SeedMode.Fixed));
        page.WaitForAssertion(() => Assert.Equal("99", page.Find("[data-testid=seed] input, input[data-testid=seed]").GetAttribute("value")));
        Assert.Empty(page.FindAll("[data-testid=typing-now]"));

        // The owner's own typing takes the prompt over: nobody else is marked.
        guest.SetPrompt("a yellow triangle on a white backgrou");
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=typing-now]")));
        await page.InvokeAsync(() => page.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "a yellow triangle on a white backg" }));
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=typing-now]")));
        Assert.DoesNotContain("typing…", page.Find("[data-testid=prompt-box]").TextContent, StringComparison.Ordinal);
    }

    // Two tabs of one guest are one person in the owner's list (the grant or stop reaches both): one entry that says
    // "on 2 pages", marked typing whichever tab types. The owner's own second page is an entry of its own (it may be a
    // kiosk display), but its typing is the owner's, not somebody else's.
    [Fact]
    public async Task AGuestOnTwoTabsIsOneEntryMarkedWhicheverTabTypes()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        var owner = session.MembersNow.Single();
        var guest = session.Add(LiveRole.Typist, "Alex", token: null);
        var guestsOtherTab = session.AddPageOf(guest);

        page.WaitForAssertion(() => Assert.Contains("on 2 pages", page.FindAll("[data-testid=member]")[^1].TextContent, StringComparison.Ordinal));
        Assert.Equal(2, page.FindAll("[data-testid=member]").Count);
        Assert.Contains("Connected (2)", page.Find("[data-testid=members]").TextContent, StringComparison.Ordinal);
        Assert.Single(page.FindAll("[data-testid=member-pages]"));

        guestsOtherTab.SetPrompt("a red");
        page.WaitForAssertion(() => Assert.Contains("Alex is typing…", page.Find("[data-testid=prompt-box]").TextContent, StringComparison.Ordinal));
        Assert.Contains("Alex", page.Find("[data-testid=typing-now]").Closest("[data-testid=member]")!.TextContent, StringComparison.Ordinal);

        // The stop goes to the entry's page; the live service applies it to every page of that guest.
        await page.InvokeAsync(() => page.Find("[data-testid=revoke]").Click());
        Assert.Equal((LiveRole.Viewer, LiveRole.Viewer), (guest.Role, guestsOtherTab.Role));
        page.WaitForAssertion(() => Assert.Contains("viewing", page.FindAll("[data-testid=member]")[^1].TextContent, StringComparison.Ordinal));

        // The first tab closes: the other is the entry now, on its own.
        await guest.DisposeAsync();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=member-pages]")));
        Assert.Contains("Alex", page.FindAll("[data-testid=member]")[^1].TextContent, StringComparison.Ordinal);

        var ownersOtherPage = session.AddPageOf(owner);
        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-testid=member]").Count));
        await AdvanceAsync(Studio.TypingMarkFor + TimeSpan.FromMilliseconds(50));
        ownersOtherPage.SetPrompt("a red sun");
        page.WaitForAssertion(() => Assert.Equal("a red sun", page.Find("#prompt").GetAttribute("value")));
        Assert.Empty(page.FindAll("[data-testid=typing-now]"));
        Assert.DoesNotContain("typed by", page.Find("[data-testid=prompt-box]").TextContent, StringComparison.Ordinal);
    }

    // A guest's own second tab typing is that guest typing: their first tab marks nobody.
    [Fact]
    public async Task AGuestsOtherTabTypingIsNotSomebodyElseTyping()
    {
        var owner = (FakeMember)Live.CreateSession(new CreateSessionOptions(TypingOpen: true));
        var page = RenderStudio(owner.SessionId);
        page.WaitForAssertion(() => Assert.Equal("Typist", page.Find("[data-testid=studio]").GetAttribute("data-role")));
        var session = Live.Session(owner.SessionId);
        var me = session.MembersNow.Single(m => m.Role == LiveRole.Typist);
        var myOtherTab = session.AddPageOf(me);

        myOtherTab.SetPrompt("a red");
        page.WaitForAssertion(() => Assert.Equal("a red", page.Find("#prompt").GetAttribute("value")));
        await AdvanceAsync(TimeSpan.FromMilliseconds(100));
        Assert.DoesNotContain("is typing", page.Find("[data-testid=prompt-box]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("typed by", page.Find("[data-testid=prompt-box]").TextContent, StringComparison.Ordinal);

        // The owner typing is somebody else.
        owner.SetPrompt("a red sun");
        page.WaitForAssertion(() => Assert.Contains("is typing…", page.Find("[data-testid=prompt-box]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EnterShowsThePromptSoItsFullPictureComesAtOnce()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var member = Live.OnlySession().MembersNow.Single();

        await page.InvokeAsync(() => page.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "a red sun" }));
        page.WaitForAssertion(() => Assert.Equal(["a red sun"], member.Prompts));
        await page.InvokeAsync(() => page.Find("#prompt").KeyDownAsync(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter" }));

        // Typed, then shown when Enter says it is complete (the live service then draws it in full at once).
        Assert.Equal(["a red sun"], member.ShownPrompts);
        Assert.Equal(["a red sun", "a red sun"], member.Prompts);
    }

    [Fact]
    public async Task APictureBackInTheHistoryMovesToTheFrontInsteadOfShowingTwice()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        var owner = session.MembersNow.Single();
        string[] Titles() => [.. page.FindAll("[data-testid=history-item]").Select(e => e.GetAttribute("title")!)];

        foreach (var prompt in new[] { "a blue sea", "a green hill", "a red sun" })
        {
            owner.UpdateRequest(new LiveRequestPatch(Prompt: prompt, SeedMode: SeedMode.Fixed, Seed: 7));
            var frame = session.PublishFrame();
            page.WaitForAssertion(() => Assert.Contains(JSInterop.Invocations, i => i.Identifier == "show" && Equals(i.Arguments[3], frame.Sequence)));
        }

        page.WaitForAssertion(() => Assert.Equal(["a red sun (seed 7)", "a green hill (seed 7)", "a blue sea (seed 7)"], Titles()));

        // Restoring the oldest: its new frame takes the front, and the old entry goes.
        await page.InvokeAsync(() => page.FindAll("[data-testid=history-item]")[2].Click());
        var restored = session.PublishFrame();
        page.WaitForAssertion(() => Assert.Equal(["a blue sea (seed 7)", "a red sun (seed 7)", "a green hill (seed 7)"], Titles()));
        Assert.Equal(restored.Sequence.ToString(CultureInfo.InvariantCulture), page.Find("[data-testid=history-item] img").GetAttribute("data-frame"));

        // The same prompt with another seed is another picture.
        owner.UpdateRequest(new LiveRequestPatch(Prompt: "a green hill", Seed: 8));
        session.PublishFrame();
        page.WaitForAssertion(() => Assert.Equal(4, Titles().Length));

        // So is the same prompt and seed at four steps, and its label says which.
        owner.UpdateRequest(new LiveRequestPatch(Steps: 4));
        session.PublishFrame();
        page.WaitForAssertion(() => Assert.Equal("a green hill (4 steps, seed 8)", Titles()[0]));
        Assert.Equal("Restore “a green hill”, 4 steps, seed 8", page.Find("[data-testid=history-item]").GetAttribute("aria-label"));
    }

    [Fact]
    public void TheHistoryKeepsOneEntryPerPromptAsItIsTyped()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        var owner = session.MembersNow.Single();

        foreach (var prompt in new[] { "a", "a re", "a red", "a red sun", "a red su" })
        {
            owner.SetPrompt(prompt);
            var frame = session.PublishFrame();
            page.WaitForAssertion(() => Assert.Contains(JSInterop.Invocations, i => i.Identifier == "show" && Equals(i.Arguments[3], frame.Sequence)));
        }

        var item = Assert.Single(page.FindAll("[data-testid=history-item]"));
        Assert.Contains("a red su", item.GetAttribute("title"), StringComparison.Ordinal);

        // Another prompt, or the same prompt with another seed, starts a new entry.
        owner.SetPrompt("a blue moon");
        var moon = session.PublishFrame();
        page.WaitForAssertion(() => Assert.Contains(JSInterop.Invocations, i => i.Identifier == "show" && Equals(i.Arguments[3], moon.Sequence)));
        owner.Reroll();
        session.PublishFrame();
        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-testid=history-item]").Count));
    }

    // All of a prompt selected and typed over: the first letter's frame drops most of the prompt at once. The picture it
    // replaces is another idea and stays in the strip; the new entry then follows the new prompt as it grows.
    [Fact]
    public void TypingOverAWholePromptKeepsThePictureItReplacesInTheHistory()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        var owner = session.MembersNow.Single();
        string[] Titles() => [.. page.FindAll("[data-testid=history-item]").Select(e => e.GetAttribute("title")!)];

        foreach (var prompt in new[] { "a red circle on a blue background", "a", "a gr", "a green triangle" })
        {
            owner.SetPrompt(prompt);
            var frame = session.PublishFrame();
            page.WaitForAssertion(() => Assert.Contains(JSInterop.Invocations, i => i.Identifier == "show" && Equals(i.Arguments[3], frame.Sequence)));
        }

        page.WaitForAssertion(() => Assert.Equal(2, Titles().Length));
        Assert.StartsWith("a green triangle", Titles()[0], StringComparison.Ordinal);
        Assert.StartsWith("a red circle on a blue background", Titles()[1], StringComparison.Ordinal);
    }

    // With a fresh seed per request every keystroke's frame has its own seed: typing still makes one entry.
    [Fact]
    public void WithAFreshSeedPerRequestTypingStillMakesOneHistoryEntry()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        var owner = session.MembersNow.Single();
        var seed = 100;

        foreach (var prompt in new[] { "a", "a re", "a red", "a red sun" })
        {
            owner.UpdateRequest(new LiveRequestPatch(Prompt: prompt, SeedMode: SeedMode.PerRequest, Seed: seed++));
            var frame = session.PublishFrame();
            page.WaitForAssertion(() => Assert.Contains(JSInterop.Invocations, i => i.Identifier == "show" && Equals(i.Arguments[3], frame.Sequence)));
        }

        var item = Assert.Single(page.FindAll("[data-testid=history-item]"));
        Assert.Contains("a red sun", item.GetAttribute("title"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task APhoneOnAKioskSessionCannotSendABlockedPrompt()
    {
        var kiosk = Live.CreateSession(new CreateSessionOptions("Kiosk", TypingOpen: true));
        using var registration = Services.GetRequiredService<KioskRegistry>().Register(kiosk.SessionId);
        var page = RenderStudio(kiosk.SessionId);
        page.WaitForAssertion(() => Assert.Equal("Typist", page.Find("[data-testid=studio]").GetAttribute("data-role")));

        await page.InvokeAsync(() => page.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "something Forbidden here" }));
        await AdvanceAsync(TimeSpan.FromMilliseconds(100));

        page.WaitForAssertion(() => Assert.Contains("does not show that prompt", page.Markup, StringComparison.Ordinal));
        Assert.Equal(string.Empty, Live.Session(kiosk.SessionId).Request.Prompt);
    }

    // On "/" a link to "/" would keep the very page whose session could not open: the button loads the page afresh.
    [Fact]
    public async Task StartYourOwnTriesAgainAfterTheServerRefusedASession()
    {
        Live.RefuseCreate = new LiveException(LiveErrorCode.TooManySessions, "The server already holds 256 sessions.");
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=open-error]"));

        await Click(page, "[data-testid=start-own]");

        var last = Services.GetRequiredService<Bunit.TestDoubles.BunitNavigationManager>().History.First();
        Assert.Equal("/", last.Uri);
        Assert.True(last.Options.ForceLoad);
    }

    // The studio with its owner's first picture on screen, for the picture's actions (shut before it came).
    private (IRenderedComponent<Studio> Page, FakeMember Owner) RenderStudioWithAPicture()
    {
        var page = RenderStudio();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        Assert.All(page.FindAll("[data-testid=download], [data-testid=copy-picture]"), b => Assert.True(b.HasAttribute("disabled")));
        var session = Live.OnlySession();
        var owner = session.MembersNow.Single();
        owner.SetPrompt("a red circle");
        session.PublishFrame();
        page.WaitForAssertion(() => Assert.All(page.FindAll("[data-testid=download], [data-testid=copy-picture]"), b => Assert.False(b.HasAttribute("disabled"))));
        return (page, owner);
    }

    private IRenderedComponent<Studio> RenderStudio(string? sessionId = null)
    {
        Render<MudPopoverProvider>();
        return Render<Studio>(p => p.Add(s => s.SessionId, sessionId));
    }

    // Find and click on the renderer's dispatcher (see ClickText): a re-render in between retires the found handler.
    private static Task Click(IRenderedComponent<Studio> page, string selector) =>
        page.InvokeAsync(() => page.Find(selector).ClickAsync(new Microsoft.AspNetCore.Components.Web.MouseEventArgs()));

    private static async Task ClickText(IRenderedComponent<Studio> page, string container, string text)
    {
        // Find and click on the renderer's dispatcher: a frame arriving in between would re-render the page and
        // retire the handler that was found.
        await page.InvokeAsync(() =>
        {
            var item = page.Find(container).QuerySelectorAll("*")
                .Last(e => e.TextContent.Trim() == text && e.GetAttribute("blazor:onclick") is not null
                    || e.TextContent.Trim() == text && e.HasAttribute("blazor:onclick"));
            return item.ClickAsync(new Microsoft.AspNetCore.Components.Web.MouseEventArgs());
        });
    }
}
