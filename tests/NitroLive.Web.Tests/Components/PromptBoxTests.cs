using Bunit;
using Microsoft.AspNetCore.Components;
using NitroLive.Web.Components.Parts;

namespace NitroLive.Web.Tests.Components;

public sealed class PromptBoxTests : UiTestContext
{
    private readonly List<string> _sent = [];
    private readonly List<string> _committed = [];

    [Fact]
    public async Task AKeystrokeAfterAPauseIsSentAtOnce()
    {
        var box = RenderBox(canType: true);
        var input = box.Find("#prompt");
        Assert.Equal("INPUT", input.TagName); // one line, where Enter shows the prompt

        // No time passes on the clock: a debounce would still be waiting for typing to pause.
        await input.InputAsync(new ChangeEventArgs { Value = "a" });
        box.WaitForAssertion(() => Assert.Equal(["a"], _sent), Timeout);

        // After a pause longer than the interval, the next keystroke goes out at once too.
        await AdvanceAsync(TimeSpan.FromMilliseconds(300));
        await input.InputAsync(new ChangeEventArgs { Value = "a r" });
        box.WaitForAssertion(() => Assert.Equal(["a", "a r"], _sent), Timeout);
    }

    // A paste longer than the limit is cut by the browser without a word: the field says so.
    [Fact]
    public async Task AtTheLengthLimitTheFieldSaysTheRestWasLeftOut()
    {
        var box = Render<PromptBox>(p => p
            .Add(b => b.CanType, true)
            .Add(b => b.MaxLength, 10)
            .Add(b => b.SendIntervalMs, 40)
            .Add(b => b.OnSend, (string text) => _sent.Add(text)));

        await box.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "a red circ" });

        box.WaitForAssertion(() => Assert.Contains("A prompt stops at 10 characters: the rest was left out.", box.Markup, StringComparison.Ordinal), Timeout);
        await box.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "a red cir" });
        box.WaitForAssertion(() => Assert.DoesNotContain("A prompt stops at", box.Markup, StringComparison.Ordinal), Timeout);
    }

    // Revoked while typing: the last keystroke was still in the throttle and never reached the session.
    [Fact]
    public async Task TypingTakenAwayMidWordShowsTheSessionsPromptNotTheUnsentKeystroke()
    {
        var box = RenderBox(canType: true, sessionPrompt: "now ");
        await box.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "now t" });
        box.WaitForAssertion(() => Assert.Equal(["now t"], _sent), Timeout);
        box.Render(p => p.Add(b => b.SessionPrompt, "now t"));

        // Within the send interval: held back by the throttle.
        await box.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "now ty" });
        Assert.Equal(["now t"], _sent);

        box.Render(p => p.Add(b => b.CanType, false));
        await AdvanceAsync(TimeSpan.FromMilliseconds(100));

        box.WaitForAssertion(() => Assert.Equal("now t", box.Find("#prompt").GetAttribute("value")), Timeout);
        Assert.Equal(["now t"], _sent);
    }

    [Fact]
    public async Task KeystrokesWithinTheIntervalAreCoalescedIntoTheNewestText()
    {
        var box = RenderBox(canType: true);
        var input = box.Find("#prompt");
        await input.InputAsync(new ChangeEventArgs { Value = "a" });
        box.WaitForAssertion(() => Assert.Equal(["a"], _sent), Timeout);

        // Three keystrokes inside the 40 ms after that send: none goes out before the interval is over, then the newest.
        foreach (var text in new[] { "a r", "a re", "a red" })
        {
            await AdvanceAsync(TimeSpan.FromMilliseconds(10));
            await input.InputAsync(new ChangeEventArgs { Value = text });
        }

        Assert.Equal(["a"], _sent);
        await AdvanceAsync(TimeSpan.FromMilliseconds(20));
        box.WaitForAssertion(() => Assert.Equal(["a", "a red"], _sent), Timeout);
    }

    [Fact]
    public async Task FastTypingSendsOncePerIntervalInOrder()
    {
        var box = RenderBox(canType: true);
        var input = box.Find("#prompt");

        // A keystroke every 10 ms for 400 ms against a 40 ms interval: about one send per 40 ms, never one per keystroke.
        var text = string.Empty;
        for (var i = 0; i < 40; i++)
        {
            text += "x";
            await input.InputAsync(new ChangeEventArgs { Value = text });
            await AdvanceAsync(TimeSpan.FromMilliseconds(10));
        }

        await AdvanceAsync(TimeSpan.FromMilliseconds(100));
        box.WaitForAssertion(() => Assert.Equal(text, _sent[^1]), Timeout);
        Assert.InRange(_sent.Count, 8, 12);
        Assert.True(_sent.SequenceEqual(_sent.OrderBy(s => s.Length)), "sends follow the typing in order");
    }

    [Fact]
    public async Task AKeystrokeWaitingForTheIntervalIsNotSentAfterTheFieldIsGone()
    {
        var box = RenderBox(canType: true);
        var input = box.Find("#prompt");
        await input.InputAsync(new ChangeEventArgs { Value = "a" });
        box.WaitForAssertion(() => Assert.Equal(["a"], _sent), Timeout);
        await input.InputAsync(new ChangeEventArgs { Value = "a r" });

        // The page goes away while "a r" waits for the interval's end: the wait ends with it, quietly.
        await box.Instance.DisposeAsync();
        await AdvanceAsync(TimeSpan.FromMilliseconds(200));

        Assert.Equal(["a"], _sent);
    }

    [Fact]
    public async Task WithoutACommitHandlerEnterSendsAtOnce()
    {
        var box = RenderBox(canType: true);
        var input = box.Find("#prompt");
        await input.InputAsync(new ChangeEventArgs { Value = "a blue" });
        box.WaitForAssertion(() => Assert.Equal(["a blue"], _sent), Timeout);

        // Typed inside the interval, the text would wait for its end; Enter does not.
        await input.InputAsync(new ChangeEventArgs { Value = "a blue square" });
        await input.KeyDownAsync(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter" });
        Assert.Equal(["a blue", "a blue square"], _sent);

        // The throttled send that follows is the same text and is not sent twice.
        await AdvanceAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["a blue", "a blue square"], _sent);
    }

    [Fact]
    public async Task EnterCommitsTheTextWhetherTypingSentItOrNotAndTheThrottleDoesNotSendItAgain()
    {
        var box = RenderBox(canType: true, commits: true);
        var input = box.Find("#prompt");
        await input.InputAsync(new ChangeEventArgs { Value = "a blue" });
        box.WaitForAssertion(() => Assert.Equal(["a blue"], _sent), Timeout);

        // Already sent: Enter still says the prompt is complete (the page asks for its full picture).
        await input.KeyDownAsync(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter" });
        Assert.Equal(["a blue"], _committed);

        // Not sent yet (inside the interval): Enter commits it, and the throttled send that follows is not made.
        await input.InputAsync(new ChangeEventArgs { Value = "a blue square" });
        await input.KeyDownAsync(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter" });
        await AdvanceAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["a blue", "a blue square"], _committed);
        Assert.Equal(["a blue"], _sent);
    }

    [Fact]
    public async Task AKeystrokeStillInTheThrottleIsNotSentOverAPromptThatReplacedIt()
    {
        var box = RenderBox(canType: true);
        var input = box.Find("#prompt");
        await input.InputAsync(new ChangeEventArgs { Value = "a" });
        box.WaitForAssertion(() => Assert.Equal(["a"], _sent), Timeout);

        // Typed inside the interval, then a history entry restored (the page sent that prompt its own way).
        await input.InputAsync(new ChangeEventArgs { Value = "a do" });
        await box.InvokeAsync(() => box.Instance.Replace("two yellow triangles"));
        await AdvanceAsync(TimeSpan.FromMilliseconds(200));

        Assert.Equal(["a"], _sent);
        Assert.Equal("two yellow triangles", box.Find("#prompt").GetAttribute("value"));
    }

    [Fact]
    public void ViewerFieldIsReadOnlyAndFollowsTheSessionPrompt()
    {
        var box = RenderBox(canType: false, sessionPrompt: "a red");
        Assert.Equal("TEXTAREA", box.Find("#prompt").TagName); // grows to four lines: a long prompt is read whole on a phone
        Assert.True(box.Find("#prompt").HasAttribute("readonly"));
        Assert.Equal("a red", box.Find("#prompt").GetAttribute("value"));

        box.Render(p => p.Add(b => b.SessionPrompt, "a red circle"));

        Assert.Equal("a red circle", box.Find("#prompt").GetAttribute("value"));
        Assert.Empty(_sent);
    }

    [Fact]
    public async Task ViewerKeystrokesSendNothing()
    {
        var box = RenderBox(canType: false, sessionPrompt: "shared");
        await box.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "mine" });
        await AdvanceAsync(TimeSpan.FromMilliseconds(300));
        Assert.Empty(_sent);
    }

    [Fact]
    public async Task AnOlderEchoDoesNotOverwriteWhatTheTypistIsTyping()
    {
        var box = RenderBox(canType: true, sessionPrompt: string.Empty);
        var input = box.Find("#prompt");
        await input.InputAsync(new ChangeEventArgs { Value = "a red circ" });

        // The session's state still carries an older prompt of this same typist.
        box.Render(p => p.Add(b => b.SessionPrompt, "a red"));
        Assert.Equal("a red circ", box.Find("#prompt").GetAttribute("value"));

        // Once the typist has paused, another member's prompt shows up.
        await AdvanceAsync(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(100));
        box.Render(p => p.Add(b => b.SessionPrompt, "a green triangle"));
        Assert.Equal("a green triangle", box.Find("#prompt").GetAttribute("value"));
    }

    [Fact]
    public async Task APromptSomebodyElseSetWhileThisTypistWasTypingShowsOnceTheTypingPauses()
    {
        var box = RenderBox(canType: true, sessionPrompt: string.Empty);
        await box.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "a blue house" });
        box.WaitForAssertion(() => Assert.Equal(["a blue house"], _sent), Timeout);
        box.Render(p => p.Add(b => b.SessionPrompt, "a blue house"));

        // Half a second after the keystroke another member replaces the prompt: held back while this typist types.
        await AdvanceAsync(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(100));
        box.Render(p => p.Add(b => b.SessionPrompt, "a red cat"));
        Assert.Equal("a blue house", box.Find("#prompt").GetAttribute("value"));

        // No further change of the session's prompt comes: the end of the hold alone brings it into the field.
        await AdvanceAsync(TimeSpan.FromMilliseconds(1200), TimeSpan.FromMilliseconds(100));
        box.WaitForAssertion(() => Assert.Equal("a red cat", box.Find("#prompt").GetAttribute("value")), Timeout);
        Assert.Equal(["a blue house"], _sent);
    }

    [Fact]
    public async Task KeepingOnTypingKeepsHoldingTheOtherPromptBack()
    {
        var box = RenderBox(canType: true, sessionPrompt: string.Empty);
        await box.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "a blue" });
        box.Render(p => p.Add(b => b.SessionPrompt, "a red cat"));

        // A keystroke a second later starts the hold afresh: the other prompt waits for this one's pause too.
        await AdvanceAsync(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));
        await box.InvokeAsync(() => box.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "a blue house" }));
        await AdvanceAsync(TimeSpan.FromMilliseconds(1000), TimeSpan.FromMilliseconds(100));
        Assert.Equal("a blue house", box.Find("#prompt").GetAttribute("value"));

        await AdvanceAsync(TimeSpan.FromMilliseconds(700), TimeSpan.FromMilliseconds(100));
        box.WaitForAssertion(() => Assert.Equal("a red cat", box.Find("#prompt").GetAttribute("value")), Timeout);
    }

    [Fact]
    public async Task AnOlderEchoOfThisTypistsOwnTypingIsNotShownWhenTheTypingPauses()
    {
        var box = RenderBox(canType: true, sessionPrompt: string.Empty);
        await box.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "a red" });
        box.WaitForAssertion(() => Assert.Equal(["a red"], _sent), Timeout);
        await AdvanceAsync(TimeSpan.FromMilliseconds(100));
        await box.InvokeAsync(() => box.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "a red circ" }));
        box.WaitForAssertion(() => Assert.Equal(["a red", "a red circ"], _sent), Timeout);

        // The newest send never made it into the session (refused): its prompt stays this typist's older one.
        box.Render(p => p.Add(b => b.SessionPrompt, "a red"));
        await AdvanceAsync(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(100));

        Assert.Equal("a red circ", box.Find("#prompt").GetAttribute("value"));
    }

    [Fact]
    public async Task APromptHeldBackIsDroppedQuietlyWhenTheFieldIsGone()
    {
        var box = RenderBox(canType: true, sessionPrompt: string.Empty);
        await box.Find("#prompt").InputAsync(new ChangeEventArgs { Value = "a blue" });
        box.Render(p => p.Add(b => b.SessionPrompt, "a red cat"));

        await box.Instance.DisposeAsync();
        await AdvanceAsync(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(100));

        Assert.Equal("a blue", box.Instance.Text);
    }

    // A browser that never answers the focus (its connection dropped with the call in flight) must not hold the page for
    // Blazor's one-minute interop timeout: the caller's token ends the wait.
    [Fact]
    public async Task FocusStopsWaitingForABrowserThatNeverAnswersWhenTheCallerGivesUp()
    {
        JSInterop.SetupVoid("Blazor._internal.domWrapper.focus", _ => true);
        var box = RenderBox(canType: true);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => box.Instance.FocusAsync(giveUp.Token).WaitAsync(Timeout));
    }

    private IRenderedComponent<PromptBox> RenderBox(bool canType, string? sessionPrompt = null, bool commits = false) =>
        Render<PromptBox>(p =>
        {
            p.Add(b => b.CanType, canType)
                .Add(b => b.SessionPrompt, sessionPrompt)
                .Add(b => b.SendIntervalMs, 40)
                .Add(b => b.OnSend, (string text) => _sent.Add(text));
            if (commits)
            {
                p.Add(b => b.OnCommit, (string text) => _committed.Add(text));
            }
        });
}
