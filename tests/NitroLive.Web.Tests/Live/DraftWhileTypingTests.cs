using NitroLive.Core.Pipeline;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Live;

/// <summary>
/// Drafts while typing (on by default): at more than one step, a new prompt is drawn in one step first and in all its
/// steps once typing pauses; with a model whose drafts have a tiny decoder, also at one step (tiny decoder first, the
/// full decoder once typing pauses). Against the live service with a fake generator, which records every call.
/// </summary>
public sealed class DraftWhileTypingTests
{
    private static readonly TimeSpan Timeout = LiveTestHost.Timeout;

    private static Task<LiveTestHost> StartAsync(int refineAfterMs, FakeImageGenerator? generator = null) =>
        LiveTestHost.StartAsync(generator ?? new FakeImageGenerator(), new() { ["NitroLive:Live:RefineAfterMs"] = refineAfterMs.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    /// <summary>A session at four steps whose picture (of an empty prompt, drawn in full) is on screen.</summary>
    private static async Task<ILiveMember> FourStepSessionAsync(LiveTestHost host)
    {
        var owner = host.NewSession(string.Empty);
        var four = owner.UpdateRequest(new LiveRequestPatch(Steps: 4));
        var frame = (await owner.ReadUntilRequestAsync(four.RequestId, Timeout))[^1];
        Assert.False(frame.IsDraft, "a change of steps is drawn in full at once");
        return owner;
    }

    [Fact]
    public async Task ANewPromptIsAOneStepDraftAndItsFullPictureFollowsWhenTypingPauses()
    {
        await using var host = await StartAsync(refineAfterMs: 100);
        await using var owner = await FourStepSessionAsync(host);

        var typed = owner.SetPrompt("a red circle");
        var frames = await owner.ReadUntilRequestAsync(typed.RequestId, Timeout, full: true);

        var draft = frames[^2];
        var full = frames[^1];
        Assert.True(draft.IsDraft);
        Assert.Equal(1, draft.StepsDrawn);
        Assert.Equal(4, draft.Request.Steps);
        Assert.False(full.IsDraft);
        Assert.Equal(4, full.StepsDrawn);
        Assert.Equal(typed.RequestId, draft.RequestId);
        Assert.Equal(typed.RequestId, full.RequestId);
        Assert.Equal(draft.Sequence + 1, full.Sequence);
        Assert.Equal([1, 4], host.Generator.GeneratedRequests.Where(r => r.Prompt == "a red circle").Select(r => r.Steps).ToArray());
    }

    [Fact]
    public async Task EnterOnADraftedPromptDrawsItsFullPictureAtOnceInsteadOfAfterThePause()
    {
        // A pause far longer than the test may wait: only Enter can bring the full picture in time.
        await using var host = await StartAsync(refineAfterMs: 10_000);
        await using var owner = await FourStepSessionAsync(host);
        var typed = owner.SetPrompt("a red circle");
        Assert.True((await owner.ReadUntilRequestAsync(typed.RequestId, Timeout))[^1].IsDraft);

        var entered = owner.ShowPrompt("a red circle");
        var full = (await owner.ReadUntilRequestAsync(typed.RequestId, TimeSpan.FromSeconds(5), full: true))[^1];

        Assert.Equal(typed.RequestId, entered.RequestId);
        Assert.Equal(typed.RequestId, full.RequestId);
        Assert.Equal(4, full.StepsDrawn);
        Assert.Equal([1, 4], host.Generator.GeneratedRequests.Where(r => r.Prompt == "a red circle").Select(r => r.Steps).ToArray());

        // The same prompt typed again (not Enter) asks for nothing more.
        owner.SetPrompt("a red circle");
        owner.ShowPrompt("a red circle");
        await Task.Delay(200);
        Assert.False(owner.Frames.TryRead(out _), "a frame came for a prompt whose full picture was already out");
    }

    // The full picture after a draft may be one the frame cache holds (another session drew it meanwhile): its frame
    // is announced in the session's state like any other, or a page would keep showing what the state said before.
    [Fact]
    public async Task AFullPictureTheCacheAlreadyHeldIsAnnouncedInTheSessionsState()
    {
        await using var host = await StartAsync(refineAfterMs: 10_000);
        var fourSteps = new LiveRequestPatch(string.Empty, Steps: 4, Seed: 7);
        await using var typist = host.Live.CreateSession(new CreateSessionOptions(Initial: fourSteps));
        await typist.ReadUntilRequestAsync(1, Timeout, full: true);
        var typed = typist.SetPrompt("a cat");
        Assert.True((await typist.ReadUntilRequestAsync(typed.RequestId, Timeout))[^1].IsDraft);

        await using var other = host.Live.CreateSession(new CreateSessionOptions(Initial: fourSteps with { Prompt = "a cat" }));
        await other.ReadUntilRequestAsync(1, Timeout, full: true);
        var generated = host.Generator.GeneratedRequests.Count();

        typist.ShowPrompt("a cat");
        var full = (await typist.ReadUntilRequestAsync(typed.RequestId, Timeout, full: true))[^1];
        Assert.True(full.Timings.Reused);
        Assert.Equal(generated, host.Generator.GeneratedRequests.Count());

        using var cts = new CancellationTokenSource(Timeout);
        await foreach (var state in typist.States.ReadAllAsync(cts.Token))
        {
            if (state.LastFrameSequence == full.Sequence)
            {
                return;
            }
        }

        Assert.Fail("The state stream ended without the reused frame's snapshot.");
    }

    [Fact]
    public async Task WhileTypingGoesOnOnlyTheLastPromptIsDrawnInFull()
    {
        await using var host = await StartAsync(refineAfterMs: 400);
        await using var owner = await FourStepSessionAsync(host);

        // Keys 30 ms apart, far inside the pause that asks for the full picture.
        LiveRequestAccepted typed = null!;
        foreach (var prompt in new[] { "a", "a r", "a re", "a red" })
        {
            typed = owner.SetPrompt(prompt);
            await Task.Delay(30);
        }

        var frames = await owner.ReadUntilRequestAsync(typed.RequestId, Timeout, full: true);

        Assert.Equal("a red", frames[^1].Request.Prompt);
        Assert.False(frames[^1].IsDraft);
        var fullSteps = host.Generator.GeneratedRequests.Where(r => r.Steps == 4 && r.Prompt.Length > 0).Select(r => r.Prompt).ToArray();
        Assert.Equal(["a red"], fullSteps);
        Assert.All(frames.Where(f => f.Request.Prompt != "a red"), f => Assert.True(f.IsDraft, $"'{f.Request.Prompt}' was not a draft"));
    }

    [Fact]
    public async Task WithDraftsOffOrAtOneStepWithoutATinyDecoderEveryPromptIsDrawnOnceInItsOwnSteps()
    {
        await using var host = await StartAsync(refineAfterMs: 50);
        await using var owner = await FourStepSessionAsync(host);
        owner.UpdateRequest(new LiveRequestPatch(DraftWhileTyping: false));

        var off = owner.SetPrompt("a blue square");
        var frame = (await owner.ReadUntilRequestAsync(off.RequestId, Timeout))[^1];
        Assert.False(frame.IsDraft);
        Assert.Equal(4, frame.StepsDrawn);

        var one = owner.UpdateRequest(new LiveRequestPatch(Prompt: "a green square", Steps: 1, DraftWhileTyping: true));
        frame = (await owner.ReadUntilRequestAsync(one.RequestId, Timeout))[^1];
        Assert.False(frame.IsDraft);
        await Task.Delay(200);

        // Nothing more was drawn: no draft, no second picture of either prompt.
        Assert.Equal([4], host.Generator.GeneratedRequests.Where(r => r.Prompt == "a blue square").Select(r => r.Steps).ToArray());
        Assert.Equal([1], host.Generator.GeneratedRequests.Where(r => r.Prompt == "a green square").Select(r => r.Steps).ToArray());
        Assert.False(owner.Frames.TryRead(out _), "a frame came after the only picture of a one-step prompt");
    }

    [Fact]
    public async Task AVariationIsDrawnInFullAtOnce()
    {
        await using var host = await StartAsync(refineAfterMs: 5_000);
        await using var owner = await FourStepSessionAsync(host);
        var typed = owner.SetPrompt("two yellow triangles");
        Assert.True((await owner.ReadUntilRequestAsync(typed.RequestId, Timeout))[^1].IsDraft);

        // Not typing: a new seed for the same prompt goes straight to all four steps.
        var varied = owner.Reroll();
        var frame = (await owner.ReadUntilRequestAsync(varied.RequestId, Timeout))[^1];

        Assert.False(frame.IsDraft);
        Assert.Equal(4, frame.StepsDrawn);
    }

    [Theory]
    [InlineData(false)] // a four-step picture after its one-step draft
    [InlineData(true)] // a one-step picture after its draft through the tiny decoder (whose frame key must differ)
    public async Task ABackspaceToAPromptDrawnInFullShowsThatPictureAtOnceNotItsDraft(bool tinyDecoder)
    {
        await using var host = await StartAsync(refineAfterMs: 100, new FakeImageGenerator(tinyDraftDecoder: tinyDecoder));
        await using var owner = tinyDecoder ? host.NewSession(string.Empty) : await FourStepSessionAsync(host);
        var dog = owner.SetPrompt("a dog");
        var fullDog = (await owner.ReadUntilRequestAsync(dog.RequestId, Timeout, full: true))[^1];
        var dogs = owner.SetPrompt("a dogs");
        await owner.ReadUntilRequestAsync(dogs.RequestId, Timeout, full: true);
        var generated = host.Generator.GeneratedRequests.Count();

        var back = owner.SetPrompt("a dog");
        var frame = (await owner.ReadUntilRequestAsync(back.RequestId, Timeout))[^1];

        // The frame cache held the full picture: no draft, no generation, nothing left to refine.
        Assert.True(frame.Timings.Reused);
        Assert.False(frame.IsDraft);
        Assert.Equal(fullDog.Image, frame.Image);
        await Task.Delay(300);
        Assert.Equal(generated, host.Generator.GeneratedRequests.Count());
    }

    [Fact]
    public async Task TypingAgainCancelsTheFullPictureStillInTheGenerator()
    {
        var generator = new FakeImageGenerator();
        await using var host = await StartAsync(refineAfterMs: 100, generator);
        await using var owner = await FourStepSessionAsync(host);
        generator.Gate = new SemaphoreSlim(0);
        var typed = owner.SetPrompt("a red square");

        // The draft passes the gate; the full picture, due after the pause, is held in the generator.
        generator.Gate.Release();
        Assert.True((await owner.ReadUntilRequestAsync(typed.RequestId, Timeout))[^1].IsDraft);
        while ((await generator.NextCallAsync(Timeout)) is not [{ Steps: 4, Prompt: "a red square" }])
        {
        }

        var next = owner.SetPrompt("a red squares");

        // Nobody else waits for the generator: the newer keystroke cancels the run at once, and its draft is drawn.
        await LiveTestExtensions.WaitUntilAsync(() => generator.CancelledCalls == 1, "the full picture's run cancelled", Timeout);
        generator.Gate.Release();
        var frames = await owner.ReadUntilRequestAsync(next.RequestId, Timeout);
        Assert.True(frames[^1].IsDraft);
        Assert.Equal("a red squares", frames[^1].Request.Prompt);
        Assert.DoesNotContain(frames, f => f.Request.Prompt == "a red square" && !f.IsDraft);
    }

    [Fact]
    public async Task ASessionThatEndsWhileADraftWaitsForThePauseDrawsNothingMore()
    {
        await using var host = await StartAsync(refineAfterMs: 150);
        var owner = await FourStepSessionAsync(host);
        var typed = owner.SetPrompt("a purple circle");
        Assert.True((await owner.ReadUntilRequestAsync(typed.RequestId, Timeout))[^1].IsDraft);

        await owner.DisposeAsync();
        await Task.Delay(400);

        Assert.DoesNotContain(host.Generator.GeneratedRequests, r => r.Prompt == "a purple circle" && r.Steps == 4);
    }

    [Fact]
    public async Task ADraftThatFailsAfterItsFullPictureIsOutLeavesNoErrorOnScreen()
    {
        // Two generations side by side (as a CPU pool runs them): Enter draws the full picture while the draft still runs.
        var generator = new FakeImageGenerator(concurrency: 2) { DraftDelay = TimeSpan.FromMilliseconds(400), FailDrafts = true };
        await using var host = await StartAsync(refineAfterMs: 10_000, generator);
        await using var owner = await FourStepSessionAsync(host);

        var typed = owner.SetPrompt("a red circle");
        await LiveTestExtensions.WaitUntilAsync(() => generator.GeneratedRequests.Any(r => r.Prompt == "a red circle" && r.Draft), "the draft's run", Timeout);
        owner.ShowPrompt("a red circle");
        var full = (await owner.ReadUntilRequestAsync(typed.RequestId, Timeout, full: true))[^1];
        Assert.Equal(4, full.StepsDrawn);
        await LiveTestExtensions.WaitUntilAsync(() => host.Stats.GenerationFailures > 0, "the draft's failure", Timeout);

        // The failure is counted before it is reported to the session: give the report its moment.
        await Task.Delay(300);
        Assert.Null(owner.State.LastError);
        Assert.Equal(full.Sequence, owner.State.LastFrameSequence);
    }

    [Fact]
    public async Task AMemberWhoRejoinsASessionLeftOnADraftGetsItsFullPicture()
    {
        // Everyone left while the draft waited for the pause (a reload), and the session was kept for them.
        await using var host = await LiveTestHost.StartAsync(new FakeImageGenerator(), new()
        {
            ["NitroLive:Live:RefineAfterMs"] = "300",
            ["NitroLive:Live:EmptySessionGraceSeconds"] = "60",
        });
        var owner = await FourStepSessionAsync(host);
        var (sessionId, token) = (owner.SessionId, owner.OwnerToken);
        var typed = owner.SetPrompt("a purple circle");
        Assert.True((await owner.ReadUntilRequestAsync(typed.RequestId, Timeout))[^1].IsDraft);
        await owner.DisposeAsync();
        await Task.Delay(700);
        Assert.DoesNotContain(host.Generator.GeneratedRequests, r => r.Prompt == "a purple circle" && r.Steps == 4);

        await using var back = host.Live.JoinSession(sessionId, LiveRole.Owner, ownerToken: token);
        var full = (await back.ReadUntilRequestAsync(typed.RequestId, Timeout, full: true))[^1];

        Assert.Equal(typed.RequestId, full.RequestId);
        Assert.Equal(4, full.StepsDrawn);
        Assert.Single(host.Generator.GeneratedRequests, r => r.Prompt == "a purple circle" && r.Steps == 4);
    }

    [Fact]
    public async Task WithATinyDecoderAOneStepPromptIsDraftedAndTheFullDecodersPictureFollows()
    {
        // A pause long enough that the draft is read before its full picture could replace it in the member's mailbox.
        await using var host = await StartAsync(refineAfterMs: 500, new FakeImageGenerator(tinyDraftDecoder: true));
        await using var owner = host.NewSession(string.Empty);

        var typed = owner.UpdateRequest(new LiveRequestPatch(Prompt: "a red circle", Steps: 1));
        var draft = (await owner.ReadUntilRequestAsync(typed.RequestId, Timeout))[^1];
        var full = (await owner.ReadUntilRequestAsync(typed.RequestId, Timeout, full: true))[^1];
        Assert.True(draft.IsDraft);
        Assert.True(draft.Timings.TinyDecoder);
        Assert.Equal(1, draft.StepsDrawn);
        Assert.False(full.IsDraft);
        Assert.False(full.Timings.TinyDecoder);
        Assert.Equal(1, full.StepsDrawn);
        Assert.Equal(typed.RequestId, full.RequestId);
        Assert.NotEqual(draft.Image, full.Image);
        Assert.Equal(
            [(1, true), (1, false)],
            host.Generator.GeneratedRequests.Where(r => r.Prompt == "a red circle").Select(r => (r.Steps, r.Draft)).ToArray());
    }

    [Fact]
    public async Task TheWarmUpAlsoDrawsADraftOfEachSizeWhenDraftsHaveATinyDecoder()
    {
        await using var host = await StartAsync(refineAfterMs: 100, new FakeImageGenerator(tinyDraftDecoder: true));
        var sizes = host.Generator.Model.Sizes.Count;
        GenerationRequest[] WarmUps() => [.. host.Generator.Calls.Where(c => c[0].Prompt == "warm-up").Select(c => c[0])];

        await LiveTestExtensions.WaitUntilAsync(() => WarmUps().Length >= 2 * sizes, "the warm-up", Timeout);

        Assert.Equal(sizes, WarmUps().Count(r => r.Draft));
        Assert.Equal(sizes, WarmUps().Count(r => !r.Draft));
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(4, false)]
    [InlineData(1, true)]
    [InlineData(4, true)]
    public async Task AWholePromptToShowIsDrawnInFullAtOnceWithoutADraft(int steps, bool wholeRequest)
    {
        await using var host = await StartAsync(refineAfterMs: 50, new FakeImageGenerator(tinyDraftDecoder: true));
        await using var owner = host.NewSession(string.Empty);
        var set = owner.UpdateRequest(new LiveRequestPatch(Steps: steps));
        await owner.ReadUntilRequestAsync(set.RequestId, Timeout);

        const string Prompt = "two yellow triangles on a purple background";
        var shown = wholeRequest
            ? owner.ShowRequest(new LiveRequestPatch(Prompt: Prompt, SeedMode: SeedMode.Fixed, Seed: 7))
            : owner.ShowPrompt(Prompt);
        var frame = (await owner.ReadUntilRequestAsync(shown.RequestId, Timeout))[^1];
        await Task.Delay(200);

        Assert.False(frame.IsDraft);
        Assert.False(frame.Timings.TinyDecoder);
        Assert.Equal(
            [(steps, false)],
            host.Generator.GeneratedRequests.Where(r => r.Prompt.StartsWith("two", StringComparison.Ordinal)).Select(r => (r.Steps, r.Draft)).ToArray());
        Assert.False(owner.Frames.TryRead(out _), "a second frame came for a prompt shown in full");
    }
}
