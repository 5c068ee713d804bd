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
