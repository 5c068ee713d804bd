using Microsoft.Extensions.DependencyInjection;
using System.Buffers.Text;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Live;

public sealed class LiveServiceTests
{
    // Off by default (GPU run 6): the batching tests turn it on.
    private static readonly Dictionary<string, string?> Batching = new() { ["NitroLive:Live:EnableBatching"] = "true" };

    private static readonly TimeSpan Timeout = LiveTestHost.Timeout;

    [Fact]
    public async Task SupersededRequestsAreNeverGeneratedAndTheNewestIsNext()
    {
        var generator = new FakeImageGenerator { Gate = new SemaphoreSlim(0) };
        await using var host = await LiveTestHost.StartAsync(generator);
        await using var owner = host.Live.CreateSession();

        // The generator holds the first request; everything typed meanwhile lands in the one-slot latest request.
        var first = await generator.NextCallAsync(Timeout);
        foreach (var prompt in new[] { "a", "a c", "a ca", "a cat" })
        {
            owner.SetPrompt(prompt);
        }

        var last = owner.SetPrompt("a cat!");
        generator.Gate.Release();
        var second = await generator.NextCallAsync(Timeout);
        generator.Gate.Release();

        Assert.Equal("a cat!", Assert.Single(second).Prompt);
        var frames = await owner.ReadUntilRequestAsync(last.RequestId, Timeout);
        Assert.Equal("a cat!", frames[^1].Request.Prompt);
        Assert.Equal(
            [first[0].Prompt, "a cat!"],
            generator.GeneratedRequests.Select(r => r.Prompt).ToArray());
    }

    [Fact]
    public async Task LatestPromptWinsWhenTypingOutrunsTheGenerator()
    {
        var generator = new FakeImageGenerator(delay: TimeSpan.FromMilliseconds(60));
        await using var host = await LiveTestHost.StartAsync(generator);
        await using var owner = host.Live.CreateSession();
        const string text = "a red fox jumping over a lazy dog at dawn";

        LiveRequestAccepted accepted = null!;
        for (var i = 1; i <= text.Length; i++)
        {
            accepted = owner.SetPrompt(text[..i]);
            await Task.Delay(5);
        }

        var frames = await owner.ReadUntilRequestAsync(accepted.RequestId, Timeout);

        Assert.Equal(text, frames[^1].Request.Prompt);
        Assert.True(generator.GeneratedRequests.Count() < text.Length, $"{generator.GeneratedRequests.Count()} generations for {text.Length} keystrokes");
        Assert.Equal(1, generator.MaxConcurrentCalls);
    }

    [Fact]
    public async Task SessionsWithPendingWorkAreServedRoundRobin()
    {
        var generator = new FakeImageGenerator { Gate = new SemaphoreSlim(0) };
        await using var host = await LiveTestHost.StartAsync(generator);
        await using var a = await host.NewSessionInTheGeneratorAsync("a0");
        await using var b = host.NewSession("b0");
        await using var c = host.NewSession("c0");

        // a keeps typing while b and c wait: a must not be served again before them.
        var order = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            a.SetPrompt("a" + i);
            generator.Gate.Release();
            order.Add((await generator.NextCallAsync(Timeout))[0].Prompt);
        }

        generator.Gate.Release(10);
        Assert.Equal(["b0", "c0", "a3"], order);
    }

    [Fact]
    public async Task SessionsRunSideBySideWhenTheGeneratorRunsSeveralCallsAtOnce()
    {
        var generator = new FakeImageGenerator(concurrency: 2) { Gate = new SemaphoreSlim(0) };
        await using var host = await LiveTestHost.StartAsync(generator);
        await using var a = await host.NewSessionInTheGeneratorAsync("a0");

        // "a0" is held in the generator; a second session starts at once beside it, a third waits for a free slot.
        await using var b = host.NewSession("b0");
        Assert.Equal("b0", Assert.Single(await generator.NextCallAsync(Timeout)).Prompt);
        await using var c = host.NewSession("c0");
        await Task.Delay(150);
        Assert.Equal(["a0", "b0"], generator.GeneratedRequests.Select(r => r.Prompt).ToArray());

        generator.Gate.Release();
        Assert.Equal("c0", Assert.Single(await generator.NextCallAsync(Timeout)).Prompt);
        generator.Gate.Release(2);
        foreach (var (member, prompt) in new[] { (a, "a0"), (b, "b0"), (c, "c0") })
        {
            Assert.Equal(prompt, (await member.ReadUntilRequestAsync(1, Timeout))[^1].Request.Prompt);
        }

        Assert.Equal(2, generator.MaxConcurrentCalls);
    }

    [Fact]
    public async Task EveryParallelInstanceIsWarmedUpForEverySize()
    {
        var generator = new FakeImageGenerator(concurrency: 3);
        await using var host = await LiveTestHost.StartAsync(generator);

        using var cts = new CancellationTokenSource(Timeout);
        while (generator.Calls.Count(c => c[0].Prompt == "warm-up") < 9)
        {
            await Task.Delay(10, cts.Token);
        }

        // Three calls per size (the fake has three sizes), issued together so that a pool sends each to its own instance.
        var warmUps = generator.Calls.Where(c => c[0].Prompt == "warm-up").Select(c => (c[0].Width, c[0].Height)).ToArray();
        Assert.Equal(9, warmUps.Length);
        Assert.All(warmUps.GroupBy(s => s), g => Assert.Equal(3, g.Count()));
    }

    [Fact]
    public async Task AServerWhoseWarmUpFailedBecomesReadyOnceAGenerationSucceeds()
    {
        // The warm-up fails (a transient fault); the first real request goes through.
        var generator = new FakeImageGenerator { FailOn = "warm-up" };
        await using var host = await LiveTestHost.StartAsync(generator);
        await LiveTestExtensions.WaitUntilAsync(() => host.Readiness.Current.Error is not null, "the failed warm-up", Timeout);
        var check = new Extensions.GeneratorReadyHealthCheck(host.Readiness, host.Live);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, (await check.CheckHealthAsync(new())).Status);

        generator.FailOn = "boom";
        await using var owner = host.NewSession("a red circle");
        await owner.ReadUntilRequestAsync(1, Timeout);

        var health = await check.CheckHealthAsync(new());
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, health.Status);
        Assert.Contains("its warm-up had failed: The fake generator was told to fail.", health.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASessionLeftEmptyEndsAfterItsGraceUnlessSomeoneRejoins()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartWithAMinutesGraceAsync(clock);
        var owner = host.NewSession("a red circle");
        var (id, token) = (owner.SessionId, owner.OwnerToken);
        await owner.DisposeAsync();

        clock.Advance(TimeSpan.FromSeconds(59));
        host.Registry.Sweep();
        Assert.NotNull(host.Live.GetSessionState(id));

        // Back within the grace: the session is theirs however long they stay.
        await using (var back = host.Live.JoinSession(id, LiveRole.Owner, ownerToken: token))
        {
            clock.Advance(TimeSpan.FromMinutes(5));
            host.Registry.Sweep();
            Assert.NotNull(host.Live.GetSessionState(id));
            Assert.False(back.State.IsClosed);
        }

        clock.Advance(TimeSpan.FromSeconds(59));
        host.Registry.Sweep();
        Assert.NotNull(host.Live.GetSessionState(id));
        clock.Advance(TimeSpan.FromSeconds(1));
        host.Registry.Sweep();
        Assert.Null(host.Live.GetSessionState(id));
    }

    // The janitor's own timer (not a test calling Sweep) ends what nobody came back to, or MaxSessions fills up over time.
    [Fact]
    public async Task TheJanitorEndsASessionLeftEmptyOnceItsGraceHasPassed()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartWithAMinutesGraceAsync(clock);
        var owner = host.NewSession("a red circle");
        var id = owner.SessionId;
        await owner.DisposeAsync();

        // The janitor ticks every quarter of the grace, at most every 10 s: nothing ends within the grace, and the session
        // ends at the first tick after it. Each second past the grace waits in real time for a sweep on a busy machine.
        var seconds = 0;
        for (; seconds < 59; seconds++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }

        Assert.NotNull(host.Live.GetSessionState(id));
        while (host.Live.GetSessionState(id) is not null && seconds < 80)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            seconds++;
            try
            {
                await LiveTestExtensions.WaitUntilAsync(() => host.Live.GetSessionState(id) is null, "a sweep", TimeSpan.FromMilliseconds(300));
            }
            catch (TimeoutException)
            {
                // No tick this second, or its sweep has not run yet: the next second.
            }
        }

        Assert.InRange(seconds, 60, 71);
    }

    [Fact]
    public async Task StoppingTheAppEndsEverySessionsFrameStream()
    {
        var host = await LiveTestHost.StartAsync(new FakeImageGenerator());
        await using var owner = host.NewSession("a red circle");
        await using var viewer = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer);

        await host.DisposeAsync();

        using var cts = new CancellationTokenSource(Timeout);
        await foreach (var _ in owner.Frames.ReadAllAsync(cts.Token))
        {
        }

        await foreach (var _ in viewer.States.ReadAllAsync(cts.Token))
        {
        }

        Assert.True(viewer.IsClosed);
    }

    [Fact]
    public async Task EqualShapesOfWaitingSessionsAreBatchedAndOtherShapesWait()
    {
        var generator = new FakeImageGenerator(maxBatch: 4) { Gate = new SemaphoreSlim(0) };
        await using var host = await LiveTestHost.StartAsync(generator, Batching);
        await using var blocker = await host.NewSessionInTheGeneratorAsync("hold");

        var members = new List<ILiveMember>();
        for (var i = 0; i < 3; i++)
        {
            members.Add(host.Live.CreateSession(new CreateSessionOptions(Initial: new LiveRequestPatch("same " + i))));
        }

        members.Add(host.Live.CreateSession(new CreateSessionOptions(Initial: new LiveRequestPatch("other", Width: 128, Height: 64))));
        generator.Gate.Release();
        var batch = await generator.NextCallAsync(Timeout);
        generator.Gate.Release();
        var next = await generator.NextCallAsync(Timeout);
        generator.Gate.Release(10);

        Assert.Equal(["same 0", "same 1", "same 2"], batch.Select(r => r.Prompt).ToArray());
        Assert.Equal("other", Assert.Single(next).Prompt);
        foreach (var member in members)
        {
            var frames = await member.ReadUntilRequestAsync(member.State.RequestId, Timeout);
            Assert.Equal(member.State.Request.Prompt, frames[^1].Request.Prompt);
            await member.DisposeAsync();
        }
    }

    // GPU run 6: on CUDA a batch whose size changes from call to call costs ONNX Runtime a convolution re-plan each time,
    // so by default each session's request is a call of its own, also where the model takes batches.
    [Fact]
    public async Task ByDefaultEachSessionsRequestIsACallOfItsOwnOnAGpuModelThatTakesBatches()
    {
        var generator = new FakeImageGenerator(maxBatch: 4) { Gate = new SemaphoreSlim(0) };
        Assert.NotEqual("CPU", generator.Model.Provider);
        await using var host = await LiveTestHost.StartAsync(generator);
        await using var blocker = await host.NewSessionInTheGeneratorAsync("hold");

        var members = new List<ILiveMember>();
        for (var i = 0; i < 3; i++)
        {
            members.Add(host.Live.CreateSession(new CreateSessionOptions(Initial: new LiveRequestPatch("same " + i))));
        }

        var calls = new List<IReadOnlyList<NitroLive.Core.Pipeline.GenerationRequest>>();
        for (var i = 0; i < 3; i++)
        {
            generator.Gate.Release();
            calls.Add(await generator.NextCallAsync(Timeout));
        }

        generator.Gate.Release(10);
        Assert.All(calls, call => Assert.Single(call));
        Assert.Equal(["same 0", "same 1", "same 2"], calls.Select(c => c[0].Prompt).Order().ToArray());
        foreach (var member in members)
        {
            await member.DisposeAsync();
        }
    }

    [Fact]
    public async Task OnlyRequestsOfOneVariantShareABatchAndEachReachesTheGeneratorWithItsVariant()
    {
        var generator = new FakeImageGenerator(maxBatch: 4, variants: ["realism", "vibrant"]) { Gate = new SemaphoreSlim(0) };
        await using var host = await LiveTestHost.StartAsync(generator, Batching);
        Assert.Equal(["realism", "vibrant"], host.Live.Limits.ModelVariants.Select(v => v.Name).ToArray());
        Assert.Equal("realism", host.Live.Limits.DefaultRequest.ModelVariant);
        await using var blocker = await host.NewSessionInTheGeneratorAsync("hold");

        var members = new List<ILiveMember>
        {
            host.Live.CreateSession(new CreateSessionOptions(Initial: new LiveRequestPatch("realism 0"))),
            host.Live.CreateSession(new CreateSessionOptions(Initial: new LiveRequestPatch("vibrant 1", ModelVariant: "vibrant"))),
            host.Live.CreateSession(new CreateSessionOptions(Initial: new LiveRequestPatch("realism 2"))),
        };
        generator.Gate.Release();
        var batch = await generator.NextCallAsync(Timeout);
        generator.Gate.Release();
        var next = await generator.NextCallAsync(Timeout);
        generator.Gate.Release(10);

        Assert.Equal([("realism 0", "realism"), ("realism 2", "realism")], batch.Select(r => (r.Prompt, r.Variant)).ToArray());
        Assert.Equal(("vibrant 1", "vibrant"), Assert.Single(next.Select(r => (r.Prompt, r.Variant))));
        Assert.Equal(["realism", "vibrant"], generator.Calls.Where(c => c[0].Prompt == "warm-up").Select(c => c[0].Variant ?? "(default)").Distinct().ToArray());
        foreach (var member in members)
        {
            var frames = await member.ReadUntilRequestAsync(member.State.RequestId, Timeout);
            Assert.Equal(member.State.Request.ModelVariant, frames[^1].Request.ModelVariant);
            await member.DisposeAsync();
        }
    }

    [Fact]
    public async Task EachVariantsExamplePromptsReachTheLimitsLessAnyLongerThanAPromptMayBe()
    {
        var generator = new FakeImageGenerator(variants: ["realism", "vibrant"]);
        await using var host = await LiveTestHost.StartAsync(generator, new() { ["NitroLive:Live:MaxPromptLength"] = "20" });

        Assert.Equal(
            [("realism", ["a realism example"]), ("vibrant", ["a vibrant example"])],
            host.Live.Limits.ModelVariants.Select(v => (v.Name, v.ExamplePrompts.ToArray())).ToArray());
    }

    [Fact]
    public async Task EncodingAFrameOverlapsTheNextGeneration()
    {
        var generator = new FakeImageGenerator();
        var encoder = new SlowEncoder(TimeSpan.FromMilliseconds(300));
        await using var host = await LiveTestHost.StartAsync(generator, configure: s => s.AddSingletonEncoder(encoder));
        await using var a = host.NewSession("first");
        await using var b = host.Live.CreateSession(new CreateSessionOptions(Initial: new LiveRequestPatch("second", Width: 128, Height: 64)));

        await a.ReadUntilRequestAsync(1, Timeout);
        await b.ReadUntilRequestAsync(1, Timeout);

        // The second generation started while the first frame was still being encoded.
        Assert.True(encoder.GenerationStartedDuringEncode(generator), "the generator waited for the encoder");
    }

    [Fact]
    public async Task AMemberThatDoesNotReadHoldsOneFrameAndSkipsTheRest()
    {
        var generator = new FakeImageGenerator();
        await using var host = await LiveTestHost.StartAsync(generator);
        await using var owner = host.Live.CreateSession();
        var idle = (LiveMember)host.Live.JoinSession(owner.SessionId, LiveRole.Viewer);

        LiveRequestAccepted last = null!;
        for (var i = 0; i < 40; i++)
        {
            last = owner.SetPrompt("p" + i);
            await owner.ReadUntilRequestAsync(last.RequestId, Timeout);
        }

        Assert.Equal(1, idle.PendingFrames);
        Assert.True(idle.SkippedFrames >= 39, $"skipped {idle.SkippedFrames}");
        Assert.True(idle.Frames.TryRead(out var newest));
        Assert.Equal(last.RequestId, newest.RequestId);
        await idle.DisposeAsync();
    }

    [Fact]
    public async Task AViewerCannotChangeTheRequest()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.NewSession("kept");
        await using var viewer = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer);
        var before = owner.State;

        var error = Assert.Throws<LiveException>(() => viewer.SetPrompt("hijack"));

        Assert.Equal(LiveErrorCode.Forbidden, error.Code);
        Assert.Equal("forbidden", error.CodeName);
        Assert.Equal("kept", owner.State.Request.Prompt);
        Assert.Equal(before.RequestId, owner.State.RequestId);
    }

    [Fact]
    public async Task TheOwnerGrantsAndRevokesTyping()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        await using var guest = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "guest");
        Assert.Equal(LiveErrorCode.Forbidden, Assert.Throws<LiveException>(() => host.Live.JoinSession(owner.SessionId, LiveRole.Typist)).Code);
        Assert.Equal(LiveErrorCode.Forbidden, Assert.Throws<LiveException>(() => guest.GrantTyping(guest.MemberId)).Code);

        owner.GrantTyping(guest.MemberId);
        Assert.Equal(LiveRole.Typist, guest.Role);
        guest.SetPrompt("now I type");
        Assert.Equal("now I type", owner.State.Request.Prompt);

        owner.RevokeTyping(guest.MemberId);
        Assert.Equal(LiveErrorCode.Forbidden, Assert.Throws<LiveException>(() => guest.SetPrompt("not any more")).Code);
        Assert.Equal(LiveErrorCode.Forbidden, Assert.Throws<LiveException>(() => owner.RevokeTyping(owner.MemberId)).Code);
        Assert.Equal(LiveErrorCode.NotAMember, Assert.Throws<LiveException>(() => owner.GrantTyping("nobody")).Code);
        var state = await guest.ReadStateUntilAsync(s => s.Members.Any(m => m.MemberId == guest.MemberId && m.Role == LiveRole.Viewer), Timeout);
        Assert.Equal(LiveRole.Owner, state.Members[0].Role);
    }

    // A reload is a new membership: with the key its browser kept, a guest is the same person again. The typist the owner
    // chose keeps typing although typing is closed, keeps the name the others knew, and a stopped one stays stopped.
    [Fact]
    public async Task AGuestBackWithTheirKeyHasTheRoleAndNameTheyLeftWith()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        var guest = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "Alex");
        Assert.True(LiveIds.IsWellFormed(guest.GuestKey));
        Assert.Null(owner.GuestKey);
        owner.GrantTyping(guest.MemberId);
        var key = guest.GuestKey;
        await guest.DisposeAsync();

        await using var back = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, guestKey: key);
        Assert.Equal((LiveRole.Typist, "Alex", key), (back.Role, back.DisplayName, back.GuestKey));
        back.SetPrompt("still typing");
        Assert.Equal("still typing", owner.State.Request.Prompt);

        // Without the key the same browser would be a new viewer, as before.
        await using var stranger = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer);
        Assert.Equal(LiveRole.Viewer, stranger.Role);
        Assert.NotEqual("Alex", stranger.DisplayName);
    }

    [Fact]
    public async Task AGuestTheOwnerStoppedStaysAViewerWhileAnyoneCanType()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: true));
        var guest = host.Live.JoinSession(owner.SessionId, LiveRole.Typist);
        owner.RevokeTyping(guest.MemberId);
        var (key, name) = (guest.GuestKey, guest.DisplayName);
        await guest.DisposeAsync();

        await using var back = host.Live.JoinSession(owner.SessionId, LiveRole.Typist, guestKey: key);
        Assert.Equal((LiveRole.Viewer, name), (back.Role, back.DisplayName));
        Assert.Equal(LiveErrorCode.Forbidden, Assert.Throws<LiveException>(() => back.SetPrompt("sneaking back")).Code);
    }

    // Two tabs of one browser share its key: they are one guest, so the owner's stop reaches both, and neither can hand
    // typing back to the other by reloading, whichever of them leaves last.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TwoPagesWithOneKeyAreOneGuestForTheOwnersStop(bool stoppedPageLeavesLast)
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: true));
        var first = host.Live.JoinSession(owner.SessionId, LiveRole.Typist);
        var second = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, guestKey: first.GuestKey);
        Assert.Equal((LiveRole.Typist, first.DisplayName), (second.Role, second.DisplayName));

        owner.RevokeTyping(first.MemberId);
        Assert.Equal((LiveRole.Viewer, LiveRole.Viewer), (first.Role, second.Role));
        Assert.Equal(LiveErrorCode.Forbidden, Assert.Throws<LiveException>(() => second.SetPrompt("from the other tab")).Code);

        var key = first.GuestKey;
        await (stoppedPageLeavesLast ? second : first).DisposeAsync();
        await (stoppedPageLeavesLast ? first : second).DisposeAsync();
        await using var back = host.Live.JoinSession(owner.SessionId, LiveRole.Typist, guestKey: key);
        Assert.Equal(LiveRole.Viewer, back.Role);
    }

    // The owner's list names a guest once: their two tabs (one key) are one entry under one name, whichever page the
    // owner's grant or stop names, and it keeps its PersonId when the first page leaves. A guest from another browser
    // stays apart, and so do the owner's own pages (one of them may be a kiosk display).
    [Fact]
    public async Task AGuestOnTwoPagesIsOneEntryInTheMemberList()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        var first = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "Alex");
        await using var second = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "Not Alex", guestKey: first.GuestKey);
        await using var stranger = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "Alex");
        await using var ownersKiosk = host.Live.JoinSession(owner.SessionId, LiveRole.Owner, "Kiosk", ownerToken: owner.OwnerToken);

        Assert.Equal("Alex", second.DisplayName); // one person, one name, while another page of theirs is here
        var members = owner.State.Members;
        Assert.Equal(
            [$"{owner.MemberId} Owner 0", $"{ownersKiosk.MemberId} Owner 0", $"{first.MemberId} Viewer 1", $"{stranger.MemberId} Viewer 0"],
            members.Select(m => $"{m.MemberId} {m.Role} {m.OtherPages.Count}"));
        var alex = members[2];
        Assert.Equal(second.MemberId, Assert.Single(alex.OtherPages));
        Assert.True(alex.Holds(second.MemberId));
        Assert.False(alex.Holds(stranger.MemberId));
        Assert.False(alex.Holds(null));
        Assert.Equal(alex, owner.State.Members[2]); // equal by value, other pages included
        Assert.NotEqual(alex, alex with { OtherPages = [stranger.MemberId] });

        // A grant by either page's id reaches both, and the entry keeps them together under the new role.
        owner.GrantTyping(second.MemberId);
        Assert.Equal((LiveRole.Typist, LiveRole.Typist), (first.Role, second.Role));
        Assert.Equal((LiveRole.Typist, 1), (owner.State.Members[2].Role, owner.State.Members[2].OtherPages.Count));
        owner.RevokeTyping(second.MemberId);
        Assert.Equal((LiveRole.Viewer, LiveRole.Viewer), (first.Role, second.Role));

        // The page that joined first leaves: the other is the entry now, on its own, and still the same person.
        await first.DisposeAsync();
        var after = owner.State.Members[2];
        Assert.Equal((second.MemberId, alex.PersonId, 0), (after.MemberId, after.PersonId, after.OtherPages.Count));
        Assert.Equal(stranger.MemberId, owner.State.Members[3].MemberId);
    }

    // A guest key is no way to the owner's role: an owner join needs the token, and the owner gets no key.
    [Fact]
    public async Task AGuestKeyDoesNotMakeAnOwner()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        await using var guest = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer);
        owner.GrantTyping(guest.MemberId);

        Assert.Equal(LiveErrorCode.InvalidOwnerToken, Assert.Throws<LiveException>(() => host.Live.JoinSession(owner.SessionId, LiveRole.Owner, guestKey: guest.GuestKey)).Code);
        await using var ownerAgain = host.Live.JoinSession(owner.SessionId, LiveRole.Owner, ownerToken: owner.OwnerToken, guestKey: guest.GuestKey);
        Assert.Equal(LiveRole.Owner, ownerAgain.Role);
        Assert.Null(ownerAgain.GuestKey);
    }

    // Closing typing takes it from everybody, also from a typist who is away for a moment; opening gives it to all.
    [Fact]
    public async Task TypingClosedOrOpenedWhileAGuestIsAwayAppliesWhenTheyComeBack()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: true));
        var guest = host.Live.JoinSession(owner.SessionId, LiveRole.Typist);
        var key = guest.GuestKey;
        await guest.DisposeAsync();

        owner.SetTypingOpen(false);
        var back = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, guestKey: key);
        Assert.Equal(LiveRole.Viewer, back.Role);
        await back.DisposeAsync();

        owner.SetTypingOpen(true);
        await using var again = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, guestKey: key);
        Assert.Equal(LiveRole.Typist, again.Role);
    }

    // Keys are the session's own: one it never gave out (or gave out in another session) is not taken, so nobody picks
    // a key and later claims to be whoever gets it.
    [Fact]
    public async Task AKeyTheSessionDoesNotKnowIsReplacedByANewOne()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        await using var other = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        await using var elsewhere = host.Live.JoinSession(other.SessionId, LiveRole.Viewer);
        // A typist the owner chose is in the session: none of the keys below may borrow that role.
        await using var chosen = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer);
        owner.GrantTyping(chosen.MemberId);

        foreach (var offered in new[] { LiveIds.NewId(), elsewhere.GuestKey, "not-a-key", "" })
        {
            await using var guest = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, guestKey: offered);
            Assert.Equal(LiveRole.Viewer, guest.Role);
            Assert.True(LiveIds.IsWellFormed(guest.GuestKey));
            Assert.NotEqual(offered, guest.GuestKey);
        }

        Assert.Equal(LiveErrorCode.Forbidden, Assert.Throws<LiveException>(() => host.Live.JoinSession(owner.SessionId, LiveRole.Typist, guestKey: LiveIds.NewId())).Code);
    }

    // The session remembers four guests per member place at most, and a crowd coming and going (or somebody joining and
    // leaving on purpose) pushes out the guests whose role anybody joining gets, not the typist the owner chose.
    [Fact]
    public async Task TheGuestsASessionRemembersAreBoundedAndTheOwnersChoicesKeptLongest()
    {
        await using var host = await LiveTestHost.StartAsync(settings: new() { ["NitroLive:Live:MaxMembersPerSession"] = "2" });
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        var chosen = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer);
        owner.GrantTyping(chosen.MemberId);
        var chosenKey = chosen.GuestKey;
        await chosen.DisposeAsync();

        var keys = new List<string?>();
        for (var i = 0; i < 8; i++)
        {
            var passing = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer);
            keys.Add(passing.GuestKey);
            await passing.DisposeAsync();
        }

        // Eight remembered (2 places x 4) of nine: the oldest passing viewer went, the chosen typist and the rest stay
        // (the forgotten key last: its join and leave are a new guest to remember).
        foreach (var (key, known) in new[] { (keys[1], true), (keys[^1], true), (chosenKey, true), (keys[0], false) })
        {
            var again = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, guestKey: key);
            Assert.Equal(known, again.GuestKey == key);
            if (key == chosenKey)
            {
                Assert.Equal(LiveRole.Typist, again.Role);
            }

            await again.DisposeAsync();
        }
    }

    // Typing is the owner's to hand out: a typist must not pass it on or take it away, nor a viewer take it.
    [Fact]
    public async Task OnlyTheOwnerChangesWhoMayType()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: true));
        await using var typist = host.Live.JoinSession(owner.SessionId, LiveRole.Typist, "typist");
        await using var viewer = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "viewer");

        foreach (var actor in new[] { typist, viewer })
        {
            Assert.Equal(LiveErrorCode.Forbidden, Assert.Throws<LiveException>(() => actor.GrantTyping(viewer.MemberId)).Code);
            Assert.Equal(LiveErrorCode.Forbidden, Assert.Throws<LiveException>(() => actor.RevokeTyping(typist.MemberId)).Code);
            Assert.Equal(LiveErrorCode.Forbidden, Assert.Throws<LiveException>(() => actor.SetTypingOpen(false)).Code);
            Assert.Equal(LiveErrorCode.Forbidden, Assert.Throws<LiveException>(() => actor.SetTypingOpen(true)).Code);
        }

        Assert.True(owner.State.TypingOpen);
        Assert.Equal([LiveRole.Owner, LiveRole.Typist, LiveRole.Viewer], owner.State.Members.Select(m => m.Role));
        Assert.Equal((LiveRole.Typist, LiveRole.Viewer), (typist.Role, viewer.Role));
    }

    // In a shared session the prompt may be anyone's: the state names the member whose change set it, and a settings
    // change by someone else leaves that as it is.
    [Fact]
    public async Task TheStateNamesWhoseTypingSetThePrompt()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: true));
        await using var typist = host.Live.JoinSession(owner.SessionId, LiveRole.Typist, "typist");
        Assert.Null(host.Live.GetSessionState(owner.SessionId)!.PromptBy);

        typist.SetPrompt("a green triangle");
        Assert.Equal(typist.MemberId, host.Live.GetSessionState(owner.SessionId)!.PromptBy);

        owner.UpdateRequest(new LiveRequestPatch(Steps: 2));
        Assert.Equal(typist.MemberId, host.Live.GetSessionState(owner.SessionId)!.PromptBy);

        owner.SetPrompt("a green triangle on a red background");
        Assert.Equal(owner.MemberId, host.Live.GetSessionState(owner.SessionId)!.PromptBy);
    }

    // "Anyone can type" is about everyone in the session, not only people who join after the switch.
    [Fact]
    public async Task OpeningTypingLetsEveryoneHereTypeAndClosingItTakesTypingBack()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        await using var watcher = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "watcher");

        owner.SetTypingOpen(true);
        Assert.Equal(LiveRole.Typist, watcher.Role);
        watcher.SetPrompt("typed by the watcher");
        Assert.Equal("typed by the watcher", owner.State.Request.Prompt);

        owner.SetTypingOpen(false);
        Assert.Equal(LiveRole.Viewer, watcher.Role);
        Assert.Equal(LiveErrorCode.Forbidden, Assert.Throws<LiveException>(() => watcher.SetPrompt("not any more")).Code);
        Assert.Equal(LiveRole.Owner, owner.Role);
        var state = await watcher.ReadStateUntilAsync(s => !s.TypingOpen && s.Members.All(m => m.Role != LiveRole.Typist), Timeout);
        Assert.Equal([LiveRole.Owner, LiveRole.Viewer], state.Members.Select(m => m.Role));
    }

    [Theory]
    [InlineData("prompt", LiveErrorCode.PromptTooLong)]
    [InlineData("steps0", LiveErrorCode.StepsOutOfRange)]
    [InlineData("steps5", LiveErrorCode.StepsOutOfRange)]
    [InlineData("size", LiveErrorCode.UnsupportedSize)]
    [InlineData("halfsize", LiveErrorCode.InvalidArgument)]
    [InlineData("variant", LiveErrorCode.UnsupportedVariant)]
    [InlineData("seed", LiveErrorCode.SeedOutOfRange)]
    [InlineData("seedmode", LiveErrorCode.InvalidArgument)]
    public async Task BadInputIsRefusedWithAStableCodeAndChangesNothing(string what, LiveErrorCode expected)
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.NewSession("kept");
        await owner.ReadUntilRequestAsync(1, Timeout);
        var before = owner.State;
        var patch = what switch
        {
            "prompt" => new LiveRequestPatch(Prompt: new string('x', 501)),
            "steps0" => new LiveRequestPatch(Steps: 0),
            "steps5" => new LiveRequestPatch(Steps: 5),
            "size" => new LiveRequestPatch(Width: 100, Height: 100),
            "halfsize" => new LiveRequestPatch(Width: 128),
            "variant" => new LiveRequestPatch(ModelVariant: "vibrant"),
            "seed" => new LiveRequestPatch(Seed: -1),
            _ => new LiveRequestPatch(SeedMode: (SeedMode)7),
        };

        var error = Assert.Throws<LiveException>(() => owner.UpdateRequest(patch));

        Assert.Equal(expected, error.Code);
        Assert.Equal(before.Request, owner.State.Request);
        Assert.Equal(before.Version, owner.State.Version);
    }

    [Fact]
    public async Task APromptAtTheLimitIsAccepted()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession();

        var accepted = owner.SetPrompt(new string('x', host.Live.Limits.MaxPromptLength));

        Assert.Equal(500, accepted.Request.Prompt.Length);
    }

    [Fact]
    public async Task SessionIdsAndOwnerTokensAreUnguessableAndUrlSafe()
    {
        await using var host = await LiveTestHost.StartAsync(settings: new() { ["NitroLive:Live:MaxSessions"] = "300" });
        var ids = new HashSet<string>();
        for (var i = 0; i < 200; i++)
        {
            await using var owner = host.Live.CreateSession();
            foreach (var id in new[] { owner.SessionId, owner.OwnerToken! })
            {
                Assert.Equal(22, id.Length);
                Assert.Matches("^[A-Za-z0-9_-]{22}$", id);
                Assert.Equal(16, Base64Url.DecodeFromChars(id).Length);
                Assert.True(ids.Add(id));
            }
        }
    }

    [Fact]
    public async Task AWrongOwnerTokenIsRefusedAndTheRightOneRejoinsAsOwner()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession();

        Assert.Equal(
            LiveErrorCode.InvalidOwnerToken,
            Assert.Throws<LiveException>(() => host.Live.JoinSession(owner.SessionId, LiveRole.Owner, ownerToken: "AAAAAAAAAAAAAAAAAAAAAA")).Code);
        await using var again = host.Live.JoinSession(owner.SessionId, LiveRole.Owner, ownerToken: owner.OwnerToken);

        Assert.Equal(LiveRole.Owner, again.Role);
        Assert.Equal(LiveErrorCode.UnknownSession, Assert.Throws<LiveException>(() => host.Live.JoinSession("no-such-session", LiveRole.Viewer)).Code);
        Assert.Equal(LiveErrorCode.UnknownSession, Assert.Throws<LiveException>(() => host.Live.JoinSession("AAAAAAAAAAAAAAAAAAAAAA", LiveRole.Viewer)).Code);
    }

    // A reload rejoins as owner with a new member id: the others should still see the name they knew.
    [Fact]
    public async Task AnOwnerWhoComesBackWithoutANameKeepsTheirsAndCanChooseAnother()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartWithAMinutesGraceAsync(clock);
        var owner = host.Live.CreateSession();
        var (id, token, name) = (owner.SessionId, owner.OwnerToken, owner.DisplayName);
        await using var viewer = host.Live.JoinSession(id, LiveRole.Viewer);
        await owner.DisposeAsync();

        var back = host.Live.JoinSession(id, LiveRole.Owner, ownerToken: token);
        Assert.Equal(name, back.DisplayName);
        Assert.NotEqual(owner.MemberId, back.MemberId);
        Assert.Equal("Host", name); // not one more "guest-xxxx" among the guests
        Assert.StartsWith("guest-", viewer.DisplayName, StringComparison.Ordinal);
        await back.DisposeAsync();

        await using var named = host.Live.JoinSession(id, LiveRole.Owner, "Ada", token);
        Assert.Equal("Ada", named.DisplayName);
        Assert.Contains(viewer.State.Members, m => m.Role == LiveRole.Owner && m.DisplayName == "Ada");

        // A page that joins as the owner under a name of its own ("Show on a kiosk": "Kiosk") does not rename the owner:
        // the studio reloaded without a name is still the name the others first knew.
        await using var again = host.Live.JoinSession(id, LiveRole.Owner, ownerToken: token);
        Assert.Equal("Host", again.DisplayName);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abc")]
    public async Task JoiningAsOwnerWithoutTheTokenIsRefused(string? token)
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession();

        var error = Assert.Throws<LiveException>(() => host.Live.JoinSession(owner.SessionId, LiveRole.Owner, "intruder", token));

        Assert.Equal(LiveErrorCode.InvalidOwnerToken, error.Code);
        Assert.Equal([LiveRole.Owner], owner.State.Members.Select(m => m.Role));
    }

    [Fact]
    public async Task AFixedSeedGivesTheSamePictureForTheSamePromptAndPerRequestDoesNot()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(Initial: new LiveRequestPatch("cat", Seed: 42)));
        var first = (await owner.ReadUntilRequestAsync(1, Timeout))[^1];

        // "dog" is shown before "cat" comes back, so the generator draws "cat" again (not the session reusing its picture).
        var dog = owner.SetPrompt("dog");
        await owner.ReadUntilRequestAsync(dog.RequestId, Timeout);
        var back = owner.SetPrompt("cat");
        var again = (await owner.ReadUntilRequestAsync(back.RequestId, Timeout))[^1];

        Assert.Equal(42, again.Request.Seed);
        Assert.Equal(first.Image, again.Image);

        var p1 = owner.UpdateRequest(new LiveRequestPatch(SeedMode: SeedMode.PerRequest));
        var p2 = owner.SetPrompt("cat");
        var frame = (await owner.ReadUntilRequestAsync(p2.RequestId, Timeout))[^1];
        Assert.NotEqual(p1.Request.Seed, p2.Request.Seed);
        Assert.Equal(p2.Request.Seed, frame.Request.Seed);
        Assert.NotEqual(first.Image, frame.Image);

        var fixedAgain = owner.UpdateRequest(new LiveRequestPatch(SeedMode: SeedMode.Fixed));
        var reroll = owner.Reroll();
        Assert.NotEqual(fixedAgain.Request.Seed, reroll.Request.Seed);
        Assert.Equal(SeedMode.Fixed, reroll.Request.SeedMode);
    }

    [Fact]
    public async Task AGenerationFailureIsReportedAndTheLoopKeepsServingEverySession()
    {
        var generator = new FakeImageGenerator();
        await using var host = await LiveTestHost.StartAsync(generator);
        await using var bad = host.Live.CreateSession();
        await using var good = host.Live.CreateSession();

        bad.SetPrompt("boom");
        var state = await bad.ReadStateUntilAsync(s => s.LastError is not null, Timeout);
        Assert.StartsWith("generation_failed:", state.LastError, StringComparison.Ordinal);

        var fine = good.SetPrompt("fine");
        Assert.Equal("fine", (await good.ReadUntilRequestAsync(fine.RequestId, Timeout))[^1].Request.Prompt);
        var recovered = bad.SetPrompt("recovered");
        Assert.Equal("recovered", (await bad.ReadUntilRequestAsync(recovered.RequestId, Timeout))[^1].Request.Prompt);
        Assert.Null(bad.State.LastError);
    }

    [Fact]
    public async Task AFailedBatchIsRetriedOneByOneExceptForRequestsSupersededMeanwhile()
    {
        var generator = new FakeImageGenerator(maxBatch: 4) { Gate = new SemaphoreSlim(0) };
        await using var host = await LiveTestHost.StartAsync(generator, Batching);
        await using var holder = await host.NewSessionInTheGeneratorAsync("holder");
        await using var failing = host.NewSession("a boom circle");
        await using var typing = host.NewSession("first");
        await using var waiting = host.NewSession("waiting");

        // The three queued requests go as one batch; while it runs, one of them is superseded.
        generator.Gate.Release();
        var batch = await generator.NextCallAsync(Timeout);
        Assert.Equal(3, batch.Count);
        var newer = typing.SetPrompt("second");
        generator.Gate.Release(10);

        var error = await failing.ReadStateUntilAsync(s => s.LastError is not null, Timeout);
        Assert.StartsWith("generation_failed: ", error.LastError, StringComparison.Ordinal);
        Assert.Equal("waiting", (await waiting.ReadUntilRequestAsync(1, Timeout))[^1].Request.Prompt);
        Assert.Equal("second", (await typing.ReadUntilRequestAsync(newer.RequestId, Timeout))[^1].Request.Prompt);
        Assert.Null(typing.State.LastError);
        Assert.Null(waiting.State.LastError);
        Assert.Equal(1, generator.GeneratedRequests.Count(r => r.Prompt == "first"));
        Assert.Equal(2, generator.GeneratedRequests.Count(r => r.Prompt == "waiting"));
    }

    [Fact]
    public async Task ARunSupersededMidGenerationIsCancelledButNeverTwiceInARow()
    {
        var generator = new FakeImageGenerator { Gate = new SemaphoreSlim(0) };
        await using var host = await LiveTestHost.StartAsync(generator);
        await using var owner = await host.NewSessionInTheGeneratorAsync("a");

        // "a" is in the generator when "ab" arrives: the run is cancelled and "ab" starts at once.
        var ab = owner.SetPrompt("ab");
        Assert.Equal("ab", Assert.Single(await generator.NextCallAsync(Timeout)).Prompt);
        Assert.Equal(1, generator.CancelledCalls);

        // The next run may not be cancelled: "abc" waits for "ab" to finish, and "ab" is shown.
        var abc = owner.SetPrompt("abc");
        generator.Gate.Release();
        Assert.Equal("ab", (await owner.ReadUntilRequestAsync(ab.RequestId, Timeout))[^1].Request.Prompt);
        Assert.Equal("abc", Assert.Single(await generator.NextCallAsync(Timeout)).Prompt);

        // After a run that finished, superseding cancels again.
        var abcd = owner.SetPrompt("abcd");
        Assert.Equal("abcd", Assert.Single(await generator.NextCallAsync(Timeout)).Prompt);
        generator.Gate.Release();
        var frames = await owner.ReadUntilRequestAsync(abcd.RequestId, Timeout);

        Assert.Equal(["abcd"], frames.Select(f => f.Request.Prompt).ToArray());
        Assert.True(abc.RequestId < frames[^1].RequestId);
        Assert.Equal(2, generator.CancelledCalls);
        Assert.Equal(["a", "ab", "abc", "abcd"], generator.GeneratedRequests.Select(r => r.Prompt).ToArray());
        Assert.Equal(2, host.Stats.GenerationsCancelled);
    }

    [Fact]
    public async Task ASupersededRunIsNotCancelledWhileOtherSessionsWait()
    {
        var generator = new FakeImageGenerator { Gate = new SemaphoreSlim(0) };
        await using var host = await LiveTestHost.StartAsync(generator);
        await using var typing = await host.NewSessionInTheGeneratorAsync("a");
        await using var waiting = host.NewSession("waiting");

        // "ab" would queue behind "waiting" anyway: cancelling "a" would only throw its work away.
        var ab = typing.SetPrompt("ab");
        generator.Gate.Release(3);

        Assert.Equal("waiting", (await waiting.ReadUntilRequestAsync(1, Timeout))[^1].Request.Prompt);
        Assert.Equal("ab", (await typing.ReadUntilRequestAsync(ab.RequestId, Timeout))[^1].Request.Prompt);
        Assert.Equal(0, generator.CancelledCalls);
        Assert.Equal(["a", "waiting", "ab"], generator.GeneratedRequests.Select(r => r.Prompt).ToArray());
    }

    [Fact]
    public async Task ABatchRunsOnWhileAnyOfItsRequestsIsStillWanted()
    {
        var generator = new FakeImageGenerator(maxBatch: 4) { Gate = new SemaphoreSlim(0) };
        await using var host = await LiveTestHost.StartAsync(generator, Batching);
        await using var holder = await host.NewSessionInTheGeneratorAsync("holder");
        await using var typing = host.NewSession("first");
        await using var waiting = host.NewSession("waiting");
        generator.Gate.Release();
        Assert.Equal(2, (await generator.NextCallAsync(Timeout)).Count);

        var newer = typing.SetPrompt("second");
        generator.Gate.Release();

        Assert.Equal("waiting", (await waiting.ReadUntilRequestAsync(1, Timeout))[^1].Request.Prompt);
        Assert.Equal("first", (await typing.ReadUntilRequestAsync(1, Timeout))[^1].Request.Prompt);
        generator.Gate.Release();
        Assert.Equal("second", (await typing.ReadUntilRequestAsync(newer.RequestId, Timeout))[^1].Request.Prompt);
        Assert.Equal(0, generator.CancelledCalls);
    }

    [Fact]
    public async Task SupersededRunsAreNotCancelledWhenTheOptionIsOff()
    {
        var generator = new FakeImageGenerator { Gate = new SemaphoreSlim(0) };
        await using var host = await LiveTestHost.StartAsync(generator, new() { ["NitroLive:Live:CancelSupersededRuns"] = "false" });
        await using var owner = await host.NewSessionInTheGeneratorAsync("a");

        var ab = owner.SetPrompt("ab");
        generator.Gate.Release();
        Assert.Equal("ab", Assert.Single(await generator.NextCallAsync(Timeout)).Prompt);
        generator.Gate.Release();

        // The superseded run of "a" finished and was published as frame 1, then "ab" as frame 2. The reader may skip
        // frame 1 (a member holds only the newest frame), so the sequence number proves it was published.
        var frames = await owner.ReadUntilRequestAsync(ab.RequestId, Timeout);
        Assert.Equal("ab", frames[^1].Request.Prompt);
        Assert.Equal(2, frames[^1].Sequence);
        Assert.Equal(0, generator.CancelledCalls);
    }

    [Fact]
    public async Task AnOlderFrameDoesNotEraseTheErrorOfANewerRequest()
    {
        var generator = new FakeImageGenerator();
        using var encoder = new GatedEncoder();
        await using var host = await LiveTestHost.StartAsync(generator, configure: s => s.AddSingletonEncoder(encoder));
        await using var owner = host.NewSession("ok");

        // "ok" is generated and held in the encoder; "a boom" fails meanwhile, before the older frame is published.
        await encoder.WaitUntilEncodingAsync(Timeout);
        var bad = owner.SetPrompt("a boom");
        var failed = await owner.ReadStateUntilAsync(s => s.LastError is not null, Timeout);
        Assert.Equal(0, failed.LastFrameSequence);
        encoder.Open();
        var frames = await owner.ReadUntilRequestAsync(1, Timeout);

        Assert.Equal("ok", frames[^1].Request.Prompt);
        Assert.True(frames[^1].RequestId < bad.RequestId);
        var after = await owner.ReadStateUntilAsync(s => s.LastFrameSequence == frames[^1].Sequence, Timeout);
        Assert.StartsWith("generation_failed: ", after.LastError, StringComparison.Ordinal);
        Assert.StartsWith("generation_failed: ", owner.State.LastError, StringComparison.Ordinal);

        // A frame of a request at least as new clears it.
        var fine = owner.SetPrompt("fine");
        await owner.ReadUntilRequestAsync(fine.RequestId, Timeout);
        Assert.Null((await owner.ReadStateUntilAsync(s => s.LastError is null, Timeout)).LastError);
    }

    [Fact]
    public async Task LeavingMidGenerationCancelsThatRunOnlyAndOthersKeepGoing()
    {
        var generator = new FakeImageGenerator { Gate = new SemaphoreSlim(0) };
        await using var host = await LiveTestHost.StartAsync(generator);
        var leaving = await host.NewSessionInTheGeneratorAsync("leaving");
        await using var staying = host.NewSession("staying");

        await leaving.DisposeAsync();
        var next = await generator.NextCallAsync(Timeout);
        generator.Gate.Release();

        Assert.Equal("staying", Assert.Single(next).Prompt);
        Assert.Equal(1, generator.CancelledCalls);
        Assert.Equal("staying", (await staying.ReadUntilRequestAsync(1, Timeout))[^1].Request.Prompt);
        Assert.Null(host.Live.GetSessionState(leaving.SessionId));
    }

    [Fact]
    public async Task TheNumberOfSessionsIsBounded()
    {
        await using var host = await LiveTestHost.StartAsync(settings: new() { ["NitroLive:Live:MaxSessions"] = "2" });
        await using var a = host.Live.CreateSession();
        await using var b = host.Live.CreateSession();

        Assert.Equal(LiveErrorCode.TooManySessions, Assert.Throws<LiveException>(() => host.Live.CreateSession()).Code);
        await a.DisposeAsync();
        await using var c = host.Live.CreateSession();
    }

    [Fact]
    public async Task TheMembersOfASessionAreBounded()
    {
        await using var host = await LiveTestHost.StartAsync(settings: new() { ["NitroLive:Live:MaxMembersPerSession"] = "2" });
        await using var owner = host.Live.CreateSession();
        await using var viewer = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer);

        Assert.Equal(LiveErrorCode.SessionFull, Assert.Throws<LiveException>(() => host.Live.JoinSession(owner.SessionId, LiveRole.Viewer)).Code);
    }

    [Fact]
    public async Task TheNewestFrameDownloadsAsFullQualityPngFromTheSessionsOwnPixels()
    {
        // Without the frame cache, which would keep the generator's array (FrameCacheTests cover that path).
        await using var host = await LiveTestHost.StartAsync(settings: new() { ["NitroLive:Live:FrameCacheMegabytes"] = "0" });
        await using var owner = host.NewSession("png");
        var frame = (await owner.ReadUntilRequestAsync(1, Timeout))[^1];
        using var cts = new CancellationTokenSource(Timeout);

        // The generator's array went back to the pool once the frame was out (the next frame may be drawn into it)...
        var generated = host.Generator.LastRgb!;
        await LiveTestExtensions.WaitUntilAsync(() => host.ResultBuffers.Available(generated.Length) > 0, "the pixels to be handed back", Timeout);
        Assert.Equal(generated, host.ResultBuffers.Rent(generated.Length));

        // ...and whatever becomes of it, the session kept its own copy of the pixels.
        Array.Clear(generated);
        var png = await owner.EncodePngAsync(null, cts.Token);

        using var image = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(png);
        var (r, g, b) = FakeImageGenerator.ColorOf("png", frame.Request.Seed);
        Assert.Equal(new SixLabors.ImageSharp.PixelFormats.Rgb24(r, g, b), image[10, 10]);
        Assert.Equal(
            LiveErrorCode.FrameUnavailable,
            (await Assert.ThrowsAsync<LiveException>(() => owner.EncodePngAsync(frame.Sequence + 5, cts.Token))).Code);
    }

    [Fact]
    public async Task AJoiningMemberGetsTheNewestFrameAtOnce()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.NewSession("hello");
        var frame = (await owner.ReadUntilRequestAsync(1, Timeout))[^1];

        await using var viewer = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer);

        Assert.True(viewer.Frames.TryRead(out var first));
        Assert.Same(frame, first);
    }

    // A session left empty stays open its grace (the product's minute), on a clock the test moves.
    private static Task<LiveTestHost> StartWithAMinutesGraceAsync(TimeProvider clock) => LiveTestHost.StartAsync(
        new FakeImageGenerator(),
        new() { ["NitroLive:Live:EmptySessionGraceSeconds"] = "60" },
        services => services.AddSingleton(clock));
}
