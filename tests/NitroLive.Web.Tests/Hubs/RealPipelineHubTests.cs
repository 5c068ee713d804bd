using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging.Abstractions;
using NitroLive.Core.Models;
using NitroLive.Core.Pipeline;
using NitroLive.Web.Hubs;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Hubs;

/// <summary>
/// End to end: the real app on loopback, the real <see cref="NitroPipeline"/> on the embedded model (models/nitro-tiny,
/// copied beside the app), the SignalR .NET client. NITROLIVE_TEST_MODEL_DIR points them at another model folder.
/// </summary>
[Collection(nameof(RealPipelineHubTests))]
public sealed class RealPipelineHubTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public static string ModelDirectory =>
        Environment.GetEnvironmentVariable("NITROLIVE_TEST_MODEL_DIR") is { Length: > 0 } dir ? dir : EmbeddedModel.DefaultDirectory;

    [Fact]
    public async Task TypingLetterByLetterOnTheRealPipelineEndsWithTheFinalPromptsPicture()
    {
        // The full picture waits 1.5 s, so on a busy machine it cannot come before the last keystroke's draft.
        await using var app = await StartAsync(new() { ["NitroLive:Live:RefineAfterMs"] = "1500" });
        await using var connection = await app.ConnectAsync(messagePack: true);
        var session = await CreateSeededSessionAsync(connection);
        await using var frames = new FrameRecorder(connection, session.SessionId);
        const string text = "a red circle on a blue background";

        var last = await connection.TypeAsync(session.SessionId, text, TimeSpan.FromMilliseconds(20));
        var final = await frames.WaitForRequestAsync(last.RequestId, Timeout);

        Assert.Equal(text, final.Request.Prompt);
        Assert.Equal(7, final.Request.Seed);
        Assert.True(final.Timings.UnetMs > 0);
        Assert.Equal(app.GetService<ILiveService>().Model.Provider, final.Timings.Provider);

        // The frame is exactly the picture the engine makes for the final prompt (same model, seed, steps, size): a
        // draft through the model's tiny decoder, and once typing pauses the full decoder's picture.
        var actual = await connection.DownloadPixelsAsync(session.SessionId, final.Sequence);
        using var reference = OpenReference();
        var request = new GenerationRequest(text, final.Request.Steps, 7, final.Width, final.Height);
        Assert.True(final.Draft && final.Timings.TinyDecoder, "the embedded model's drafts go through its tiny decoder, also at one step");
        AssertIsTheEnginesPicture(app, reference.Generate([request with { Draft = true }], CancellationToken.None)[0].Rgb, actual);

        var full = await frames.WaitForRequestAsync(last.RequestId, Timeout, full: true);
        Assert.False(full.Timings.TinyDecoder);
        var fullPixels = await connection.DownloadPixelsAsync(session.SessionId, full.Sequence);
        AssertIsTheEnginesPicture(app, reference.Generate([request], CancellationToken.None)[0].Rgb, fullPixels);
    }

    [Fact]
    public async Task ARequestShownWholeOnTheRealPipelineIsDrawnInFullAtOnceWithoutADraft()
    {
        // Typed, this prompt would be drafted and drawn in full 100 ms later.
        await using var app = await StartAsync(new() { ["NitroLive:Live:RefineAfterMs"] = "100" });
        await using var connection = await app.ConnectAsync(messagePack: true);
        var session = await CreateSeededSessionAsync(connection);
        await using var frames = new FrameRecorder(connection, session.SessionId);
        const string text = "two yellow triangles on a purple background";

        var shown = await connection.ShowRequestAsync(session.SessionId, new RequestPatchMessage { Prompt = text });
        var frame = await frames.WaitForRequestAsync(shown.RequestId, Timeout);

        Assert.False(frame.Draft);
        Assert.False(frame.Timings.TinyDecoder);
        using var reference = OpenReference();
        var expected = reference.Generate([new GenerationRequest(text, frame.Request.Steps, 7, frame.Width, frame.Height)], CancellationToken.None)[0];
        AssertIsTheEnginesPicture(app, expected.Rgb, await connection.DownloadPixelsAsync(session.SessionId, frame.Sequence));

        // Well past the pause after which a draft's full picture would come, the next request's frame follows this one.
        await Task.Delay(600);
        var next = await connection.RerollAsync(session.SessionId);
        await frames.WaitForRequestAsync(next.RequestId, Timeout);
        Assert.Single(frames.Received, f => f.RequestId == shown.RequestId);
    }

    [Fact]
    public async Task ASpaceACaseChangeAndABackspaceOnTheRealPipelineShowPicturesAlreadyMadeWithoutAGeneration()
    {
        await using var app = await StartAsync();
        await using var connection = await app.ConnectAsync(messagePack: true);

        // Without drafts: a full picture due after a pause would be one more generation at a time the test cannot know.
        var session = await CreateSeededSessionAsync(connection, drafts: false);
        await using var frames = new FrameRecorder(connection, session.SessionId);
        var stats = app.GetService<LiveStats>();

        var first = await connection.SetPromptAsync(session.SessionId, "a red circle on a blue background");
        var shown = await frames.WaitForRequestAsync(first.RequestId, Timeout);
        var generated = stats.RequestsGenerated;
        const string alike = "A red circle on a  blue background ";
        var again = await connection.SetPromptAsync(session.SessionId, alike);
        var reused = await frames.WaitForRequestAsync(again.RequestId, Timeout);

        Assert.False(shown.Timings.Reused);
        Assert.True(reused.Timings.Reused);
        Assert.Equal(alike, reused.Request.Prompt);
        Assert.Equal(0, reused.Timings.UnetMs);
        Assert.Equal(shown.Image, reused.Image);
        Assert.Equal(generated, stats.RequestsGenerated);

        // It is the engine's own picture for the new text, which the tokenizers read as the old one.
        var pixels = await connection.DownloadPixelsAsync(session.SessionId, reused.Sequence);
        using var reference = OpenReference();
        var expected = reference.Generate([new GenerationRequest(alike, reused.Request.Steps, 7, reused.Width, reused.Height)], CancellationToken.None)[0];
        AssertIsTheEnginesPicture(app, expected.Rgb, pixels);

        var next = await connection.SetPromptAsync(session.SessionId, "a red circle on a blue background!");
        Assert.False((await frames.WaitForRequestAsync(next.RequestId, Timeout)).Timings.Reused);

        // A backspace back to the first text: the frame cache answers with that picture and its full-quality pixels.
        var back = await connection.SetPromptAsync(session.SessionId, "a red circle on a blue background");
        var cached = await frames.WaitForRequestAsync(back.RequestId, Timeout);
        Assert.True(cached.Timings.Reused);
        Assert.Equal(shown.Image, cached.Image);
        Assert.Equal(generated + 1, stats.RequestsGenerated);
        AssertIsTheEnginesPicture(app, expected.Rgb, await connection.DownloadPixelsAsync(session.SessionId, cached.Sequence));
    }

    [Fact]
    public async Task ViewersSeeTheSameFramesAndADisconnectMidGenerationDisturbsNobody()
    {
        await using var app = await StartAsync();
        await using var owner = await app.ConnectAsync();
        await using var viewer1 = await app.ConnectAsync(messagePack: true);
        await using var viewer2 = await app.ConnectAsync();
        var session = await owner.CreateSessionAsync("a green square");
        await viewer1.JoinAsync(session.SessionId, "viewer");
        await viewer2.JoinAsync(session.SessionId, "viewer");
        await using var frames1 = new FrameRecorder(viewer1, session.SessionId);
        await using var frames2 = new FrameRecorder(viewer2, session.SessionId);

        // Another session whose only member drops while its request is generating.
        var leaving = await app.ConnectAsync();
        var other = await leaving.CreateSessionAsync("a yellow triangle");
        await leaving.DisposeAsync();

        var viewerError = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => viewer1.SetPromptAsync(session.SessionId, "no"));
        Assert.Equal("forbidden", viewerError.ErrorCode());
        foreach (var prompt in new[] { "a green square on a black background", "two purple circles" })
        {
            var accepted = await owner.SetPromptAsync(session.SessionId, prompt);
            var f1 = await frames1.WaitForRequestAsync(accepted.RequestId, Timeout);
            var f2 = await frames2.WaitForRequestAsync(accepted.RequestId, Timeout);
            Assert.Equal(prompt, f1.Request.Prompt);
            Assert.Equal(f1.Sequence, f2.Sequence);
            Assert.Equal(f1.Image, f2.Image);
        }

        Assert.Null(app.GetService<ILiveService>().GetSessionState(other.SessionId));
    }

    [Fact]
    public async Task SixteenSessionsTypingAtOnceOnTheRealPipelineAllGetTheirFinalFrames()
    {
        await using var app = await StartAsync();

        async Task<(string Expected, FrameMessage Final)> TypistAsync(int index)
        {
            await using var connection = await app.ConnectAsync(messagePack: index % 2 == 1);
            var session = await connection.CreateSessionAsync();
            await using var frames = new FrameRecorder(connection, session.SessionId);
            var text = $"{index} orange circles";
            var last = await connection.TypeAsync(session.SessionId, text, TimeSpan.FromMilliseconds(20));
            return (text, await frames.WaitForRequestAsync(last.RequestId, TimeSpan.FromMinutes(3)));
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(TypistAsync));

        Assert.All(results, r => Assert.Equal(r.Expected, r.Final.Request.Prompt));
        Assert.All(results, r => Assert.Equal([0xFF, 0xD8], r.Final.Image[..2]));
    }

    [Fact]
    public async Task TwoParallelGeneratorsServeTypistsAtOnceWithTheEnginesOwnPictures()
    {
        await using var app = await StartAsync(new() { ["NitroLive:Model:ParallelGenerators"] = "2" });
        Assert.Equal(2, app.GetService<IImageGenerator>().Concurrency);
        using var reference = OpenReference();

        async Task<(byte[] Expected, byte[] Shown)> TypistAsync(string text)
        {
            await using var connection = await app.ConnectAsync();
            var session = await CreateSeededSessionAsync(connection);
            await using var frames = new FrameRecorder(connection, session.SessionId);
            var last = await connection.TypeAsync(session.SessionId, text, TimeSpan.FromMilliseconds(20));
            var final = await frames.WaitForRequestAsync(last.RequestId, Timeout);
            var pixels = await connection.DownloadPixelsAsync(session.SessionId, final.Sequence);
            lock (reference)
            {
                var request = new GenerationRequest(text, final.Request.Steps, 7, final.Width, final.Height) { Draft = final.Draft };
                return (reference.Generate([request], CancellationToken.None)[0].Rgb, pixels);
            }
        }

        var results = await Task.WhenAll(TypistAsync("a green square at the top left"), TypistAsync("three purple triangles"));

        Assert.All(results, r => AssertIsTheEnginesPicture(app, r.Expected, r.Shown));
    }

    [Fact]
    public async Task AtFourStepsANewPromptIsAOneStepDraftFirstAndItsFourStepPictureWhenTypingPauses()
    {
        await using var app = await StartAsync(new() { ["NitroLive:Live:RefineAfterMs"] = "1500" });
        await using var connection = await app.ConnectAsync(messagePack: true);
        var session = await CreateSeededSessionAsync(connection);
        await using var frames = new FrameRecorder(connection, session.SessionId);
        Assert.True(session.State.Request.DraftWhileTyping, "drafts while typing are on by default");
        using var cts = new CancellationTokenSource(Timeout);
        var four = await connection.InvokeAsync<RequestAcceptedMessage>("UpdateRequest", session.SessionId, new RequestPatchMessage { Steps = 4 }, cts.Token);
        Assert.False((await frames.WaitForRequestAsync(four.RequestId, Timeout)).Draft, "a change of steps is drawn in full at once");
        const string text = "two yellow triangles";

        var typed = await connection.SetPromptAsync(session.SessionId, text);
        var draft = await frames.WaitForRequestAsync(typed.RequestId, Timeout);
        var draftPixels = await connection.DownloadPixelsAsync(session.SessionId, draft.Sequence);
        var full = await frames.WaitForRequestAsync(typed.RequestId, Timeout, full: true);

        Assert.True(draft.Draft);
        Assert.Equal(4, draft.Request.Steps);
        Assert.Equal(typed.RequestId, full.RequestId);
        Assert.True(full.Sequence > draft.Sequence);
        Assert.False(full.Draft);

        // Each is exactly the engine's picture: the draft its 1-step one (through the tiny decoder), then the 4-step one.
        var fullPixels = await connection.DownloadPixelsAsync(session.SessionId, full.Sequence);
        using var reference = OpenReference();
        var expected = reference.Generate([new GenerationRequest(text, 1, 7, draft.Width, draft.Height) { Draft = true }], CancellationToken.None)[0];
        AssertIsTheEnginesPicture(app, expected.Rgb, draftPixels);
        expected = reference.Generate([new GenerationRequest(text, 4, 7, full.Width, full.Height)], CancellationToken.None)[0];
        AssertIsTheEnginesPicture(app, expected.Rgb, fullPixels);
    }

    /// <summary>A session with a fixed seed of 7, so its pictures can be compared with the engine's.</summary>
    private static async Task<JoinedMessage> CreateSeededSessionAsync(HubConnection connection, bool drafts = true)
    {
        using var cts = new CancellationTokenSource(Timeout);
        return await connection.InvokeAsync<JoinedMessage>(
            "CreateSession",
            new CreateSessionMessage { Initial = new RequestPatchMessage { Seed = 7, SeedMode = "fixed", DraftWhileTyping = drafts } },
            cts.Token);
    }

    private static NitroPipeline OpenReference() =>
        new(new PipelineOptions { ModelDirectory = ModelDirectory, Provider = ProviderPreference.Cpu }, NullLoggerFactory.Instance);

    /// <summary>On the CPU the shown frame is the engine's picture exactly; on another provider it is within 4 levels on average.</summary>
    private static void AssertIsTheEnginesPicture(LiveAppFactory app, byte[] expected, byte[] shown)
    {
        if (app.GetService<ILiveService>().Model.Provider == "CPU")
        {
            Assert.Equal(expected, shown);
        }
        else
        {
            Assert.True(MeanAbsoluteDifference(expected, shown) < 4, "the frame differs from the CPU reference picture");
        }
    }

    private static Task<LiveAppFactory> StartAsync(Dictionary<string, string?>? extra = null)
    {
        Assert.True(
            File.Exists(Path.Combine(ModelDirectory, "nitrolive.json")),
            $"The embedded model is missing at {ModelDirectory}: models/nitro-tiny must be in the repository (the web project copies it beside the app).");
        return LiveAppFactory.StartAsync(
            settings: new Dictionary<string, string?>
            {
                ["NitroLive:Model:Directory"] = ModelDirectory,
                ["NitroLive:Model:Provider"] = Environment.GetEnvironmentVariable("NITROLIVE_TEST_PROVIDER") ?? "Cpu",
            }.Concat(extra ?? []).ToDictionary(),
            useRealGenerator: true);
    }

    private static double MeanAbsoluteDifference(byte[] a, byte[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
}
