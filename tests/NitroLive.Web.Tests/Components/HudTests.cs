using Bunit;
using NitroLive.Web.Components.Parts;
using NitroLive.Web.Components.Services;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Components;

public sealed class HudTests : UiTestContext
{
    [Fact]
    public void AGeneratedFrameShowsItsStagesAndAReusedOneSaysNothingWasGenerated()
    {
        var (stats, hud) = RenderOpenHud();

        stats.FrameShown(Frame(1, reused: false), deliveryMs: 3);
        hud.Render();
        Assert.Contains("UNet", hud.Find("[data-testid=hud-details]").TextContent, StringComparison.Ordinal);
        Assert.Empty(hud.FindAll("[data-testid=hud-reused]"));

        stats.FrameShown(Frame(2, reused: true), deliveryMs: 3);
        hud.Render();
        Assert.Contains("reads this prompt as one it has drawn already", hud.Find("[data-testid=hud-reused]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("UNet", hud.Find("[data-testid=hud-details]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void ADraftSaysItIsOneStepOfTheRequestsFourAndItsFullPictureSaysFourAndKeepsTheDraftsKeystrokeTime()
    {
        var (stats, hud) = RenderOpenHud();

        stats.FrameShown(Frame(1, reused: false, steps: 4, draftSteps: 1), deliveryMs: 3);
        hud.Render();
        Assert.Contains("UNet × 1 (draft of 4)", hud.Find("[data-testid=hud-details]").TextContent, StringComparison.Ordinal);

        stats.FrameShown(Frame(1, reused: false, steps: 4), deliveryMs: 3);
        hud.Render();
        var details = hud.Find("[data-testid=hud-details]").TextContent;
        Assert.Contains("UNet × 4", details, StringComparison.Ordinal);
        Assert.DoesNotContain("draft of", details, StringComparison.Ordinal);

        // Its keystroke was answered by the draft: that is the time shown, and said so.
        Assert.Contains("(its draft)", details, StringComparison.Ordinal);
    }

    [Fact]
    public void AOneStepDraftNamesTheTinyDecoderAndItsFullPictureTheVae()
    {
        var (stats, hud) = RenderOpenHud();

        stats.FrameShown(Frame(1, reused: false, steps: 1, draftSteps: 1, tinyDecoder: true), deliveryMs: 3);
        hud.Render();
        var draft = hud.Find("[data-testid=hud-details]").TextContent;
        Assert.Contains("Tiny decoder (draft)", draft, StringComparison.Ordinal);
        Assert.DoesNotContain("draft of", draft, StringComparison.Ordinal);

        stats.FrameShown(Frame(1, reused: false, steps: 1), deliveryMs: 3);
        hud.Render();
        var full = hud.Find("[data-testid=hud-details]").TextContent;
        Assert.Contains("VAE decode", full, StringComparison.Ordinal);
        Assert.DoesNotContain("Tiny decoder", full, StringComparison.Ordinal);
        Assert.Contains("(its draft)", full, StringComparison.Ordinal);
    }

    // A viewer's (or a second typist's) picture was asked for by somebody else: only the server's part is known, and the
    // summary names it so instead of showing it where this browser's own keystroke-to-paint time goes.
    [Fact]
    public void APictureSomebodyElseAskedForShowsTheServersTimeNamedAsSuch()
    {
        var (stats, hud) = RenderOpenHud();

        stats.FrameShown(Frame(1, reused: false), deliveryMs: 3);
        hud.Render();
        Assert.Equal("server 60 ms", hud.Find("[data-testid=hud-latency]").TextContent);

        stats.FrameShown(Frame(2, reused: true), deliveryMs: 3);
        hud.Render();
        Assert.Equal("reused", hud.Find("[data-testid=hud-latency]").TextContent);

        stats.RequestSent(3);
        Clock.Advance(TimeSpan.FromMilliseconds(25));
        stats.FrameShown(Frame(3, reused: false), deliveryMs: 3);
        hud.Render();
        Assert.Equal("25 ms", hud.Find("[data-testid=hud-latency]").TextContent);
    }

    // The page renders the HUD with its frames only: once they stop, the rate must not stand at what typing had.
    [Fact]
    public async Task TheRateSaysIdleOnceTheFramesStop()
    {
        var (stats, hud) = RenderOpenHud();
        for (var i = 1; i <= 5; i++)
        {
            stats.FrameShown(Frame(i, reused: false), deliveryMs: 3);
            Clock.Advance(TimeSpan.FromMilliseconds(100));
        }

        hud.Render();
        Assert.Equal("10.0 fps", hud.Find("[data-testid=hud-fps]").TextContent);

        await AdvanceAsync(TimeSpan.FromSeconds(2.5), TimeSpan.FromMilliseconds(100));
        hud.WaitForAssertion(() => Assert.Equal("idle", hud.Find("[data-testid=hud-fps]").TextContent));
    }

    /// <summary>A HUD over fresh frame statistics, its details open.</summary>
    private (FrameStats Stats, IRenderedComponent<Hud> Hud) RenderOpenHud()
    {
        var stats = new FrameStats(Clock);
        var hud = Render<Hud>(p => p.Add(h => h.Stats, stats).Add(h => h.Model, Live.Model));
        hud.Find("[data-testid=hud] button").Click();
        return (stats, hud);
    }

    private static LiveFrame Frame(long requestId, bool reused, int steps = 1, int? draftSteps = null, bool tinyDecoder = false) => new(
        "s", requestId, requestId, new LiveRequest("a red circle", steps, SeedMode.Fixed, 1, 64, 64, "tiny"), FrameFormat.Jpeg,
        [1, 2, 3, 4], 64, 64,
        reused
            ? new FrameTimings(0, 0, 0, 0, 0, 0, 0, 0.1, 0, false, "CPU", Reused: true)
            : new FrameTimings(1, 2, 3, 40, 5, 50, 4, 60, 1, false, "CPU", TinyDecoder: tinyDecoder),
        DateTimeOffset.UnixEpoch,
        draftSteps);
}
