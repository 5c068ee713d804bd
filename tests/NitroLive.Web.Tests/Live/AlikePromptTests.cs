using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Live;

/// <summary>
/// A request that would make exactly the picture on screen (the model reads its prompt alike) is answered with that
/// picture at once. The fake reads prompts alike when they differ only in surrounding spaces, as CLIP does.
/// </summary>
public sealed class AlikePromptTests
{
    private static readonly TimeSpan Timeout = LiveTestHost.Timeout;

    private static FakeImageGenerator Generator() => new() { KeyRule = p => p.Trim() };

    [Fact]
    public async Task ASpaceAfterAWordIsAnsweredWithThePictureOnScreenWithoutAGeneration()
    {
        var generator = Generator();
        await using var host = await LiveTestHost.StartAsync(generator);
        await using var owner = host.NewSession("a red circle");
        var shown = (await owner.ReadUntilRequestAsync(1, Timeout))[^1];

        var spaced = owner.SetPrompt("a red circle ");
        var frame = (await owner.ReadUntilRequestAsync(spaced.RequestId, Timeout))[^1];

        Assert.True(frame.Timings.Reused);
        Assert.Equal(spaced.RequestId, frame.RequestId);
        Assert.Equal("a red circle ", frame.Request.Prompt);
        Assert.Equal(shown.Sequence + 1, frame.Sequence);
        Assert.Same(shown.Image, frame.Image);
        Assert.Equal(0, frame.Timings.GenerateMs);
        Assert.Equal(["a red circle"], generator.GeneratedRequests.Select(r => r.Prompt).ToArray());
        Assert.Equal(1, host.Stats.FramesReused);
        Assert.Equal(spaced.RequestId, owner.State.RequestId);

        // The next letter reads differently: the generator draws it.
        var next = owner.SetPrompt("a red circle o");
        var drawn = (await owner.ReadUntilRequestAsync(next.RequestId, Timeout))[^1];
        Assert.False(drawn.Timings.Reused);
        Assert.Equal(["a red circle", "a red circle o"], generator.GeneratedRequests.Select(r => r.Prompt).ToArray());
    }

    [Fact]
    public async Task APictureIsReusedOnlyForTheSameSeedStepsAndSizeInFixedSeedMode()
    {
        var generator = Generator();
        await using var host = await LiveTestHost.StartAsync(generator);
        await using var owner = host.NewSession("cat");
        await owner.ReadUntilRequestAsync(1, Timeout);

        Func<LiveRequestAccepted>[] changes =
        [
            () => owner.UpdateRequest(new LiveRequestPatch(Prompt: "cat ", Steps: 2, DraftWhileTyping: false)),
            () => owner.UpdateRequest(new LiveRequestPatch(Prompt: " cat", Width: 128, Height: 64)),
            () => owner.UpdateRequest(new LiveRequestPatch(Prompt: "cat  ", Seed: 7)),
            owner.Reroll,
            () => owner.UpdateRequest(new LiveRequestPatch(SeedMode: SeedMode.PerRequest)),
            () => owner.SetPrompt("cat"),
        ];
        foreach (var change in changes)
        {
            // One at a time, each shown before the next: every one of them differs from the picture on screen.
            var accepted = change();
            var frame = (await owner.ReadUntilRequestAsync(accepted.RequestId, Timeout))[^1];
            Assert.False(frame.Timings.Reused, $"request {accepted.RequestId} ({accepted.Request}) reused the picture");
        }

        Assert.Equal(0, host.Stats.FramesReused);
        Assert.Equal(1 + changes.Length, generator.GeneratedRequests.Count());
    }

    [Fact]
    public async Task GoingBackToThePictureOnScreenDropsTheRunStillOutForTheNewerText()
    {
        var generator = Generator();
        generator.Gate = new SemaphoreSlim(0);
        await using var host = await LiveTestHost.StartAsync(generator);
        await using var owner = await host.NewSessionInTheGeneratorAsync("a dog");
        generator.Gate.Release();
        var shown = (await owner.ReadUntilRequestAsync(1, Timeout))[^1];

        // "a dogs" is in the generator when the typist deletes the "s" and types a space.
        owner.SetPrompt("a dogs");
        await generator.NextCallAsync(Timeout);
        var back = owner.SetPrompt("a dog ");
        var frame = (await owner.ReadUntilRequestAsync(back.RequestId, Timeout))[^1];
        generator.Gate.Release();

        Assert.True(frame.Timings.Reused);
        Assert.Same(shown.Image, frame.Image);
        await LiveTestExtensions.WaitUntilAsync(() => host.Stats.GenerationsCancelled == 1, "the run of \"a dogs\" to be cancelled", Timeout);
        Assert.Equal(2, host.Stats.FramesPublished);
        Assert.Equal(0, owner.Frames.Count);
    }

    [Fact]
    public async Task ATokenizerThatFailsMeansTheRequestIsGeneratedAndTheGenerationReportsTheProblem()
    {
        var generator = new FakeImageGenerator
        {
            KeyRule = p => p.Contains("boom", StringComparison.Ordinal) ? throw new InvalidOperationException("the tokenizer failed") : p.Trim(),
        };
        await using var host = await LiveTestHost.StartAsync(generator);
        await using var owner = host.NewSession("a red circle");
        await owner.ReadUntilRequestAsync(1, Timeout);

        var failing = owner.SetPrompt("a red boom");
        var state = await owner.ReadStateUntilAsync(s => s.LastError is not null, Timeout);
        Assert.Equal(failing.RequestId, state.RequestId);
        Assert.Contains("a red boom", generator.GeneratedRequests.Select(r => r.Prompt));

        // Back to the text on screen: its picture answers again, and the error is gone.
        var back = owner.SetPrompt("a red circle ");
        Assert.True((await owner.ReadUntilRequestAsync(back.RequestId, Timeout))[^1].Timings.Reused);
        Assert.Null(owner.State.LastError);
    }

    [Fact]
    public async Task WithTheOptionOffEveryChangedPromptIsGenerated()
    {
        var generator = Generator();
        await using var host = await LiveTestHost.StartAsync(generator, new() { ["NitroLive:Live:ReuseFrameForAlikePrompt"] = "false" });
        await using var owner = host.NewSession("a red circle");
        await owner.ReadUntilRequestAsync(1, Timeout);

        var spaced = owner.SetPrompt("a red circle ");
        var frame = (await owner.ReadUntilRequestAsync(spaced.RequestId, Timeout))[^1];

        Assert.False(frame.Timings.Reused);
        Assert.Equal(["a red circle", "a red circle "], generator.GeneratedRequests.Select(r => r.Prompt).ToArray());
    }
}
