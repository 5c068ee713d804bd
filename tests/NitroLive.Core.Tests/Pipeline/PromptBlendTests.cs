using System.Text.Json;
using NitroLive.Cli.Commands;
using NitroLive.Cli.Evaluation;
using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.Pipeline;

/// <summary>Blending prompt embeddings (measured by <c>eval-transitions</c>) on the embedded model.</summary>
public sealed class PromptBlendTests(EmbeddedPipelineFixture fixture) : IClassFixture<EmbeddedPipelineFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private NitroPipeline Pipeline => fixture.Pipeline;

    private byte[] Draw(string prompt, PromptBlend? blend = null)
    {
        var size = Pipeline.Model.NativeWidth;
        return Pipeline.Generate([new GenerationRequest(prompt, 1, 3, size, size)], blend, CancellationToken.None)[0].Rgb;
    }

    [Fact]
    public void TheEndsOfABlendAreEachPromptsOwnPictureAndTheMiddleIsNeither()
    {
        const string red = "a red circle on a blue background";
        const string green = "a green square on a yellow background";
        var redAlone = Draw(red);
        var greenAlone = Draw(green);

        Assert.Equal(redAlone, Draw(red, new PromptBlend(green, 0)));
        Assert.Equal(greenAlone, Draw(red, new PromptBlend(green, 1)));
        var middle = Draw(red, new PromptBlend(green, 0.5f));
        Assert.True(EvalTransitionsCommand.MeanAbsoluteDifference(middle, redAlone) > 1);
        Assert.True(EvalTransitionsCommand.MeanAbsoluteDifference(middle, greenAlone) > 1);

        // The cache keeps each prompt's own embedding: the plain picture is unchanged after blending.
        Assert.Equal(redAlone, Draw(red));
    }

    [Fact]
    public async Task EvalTransitionsPrintsEachWeightsFrameChangesAndFinalError()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await EvalTransitionsCommand.RunAsync(
            ["--model", fixture.ModelDirectory, "--limit", "1", "--weights", "0,50", "--provider", "cpu"], stdout, stderr, CancellationToken.None)
            .WaitAsync(Timeout);

        Assert.True(code == 0, stderr.ToString());
        using var json = JsonDocument.Parse(stdout.ToString());
        var rows = json.RootElement.GetProperty("weights").EnumerateArray().ToArray();
        Assert.Equal([0, 50], rows.Select(r => r.GetProperty("weight_percent").GetInt32()));

        // Unblended, the last frame is the final prompt's own picture; blended, it is halfway to the keystroke before.
        Assert.Equal(0, rows[0].GetProperty("final_frame_error").GetProperty("max").GetDouble());
        Assert.True(rows[1].GetProperty("final_frame_error").GetProperty("max").GetDouble() > 0);

        // Both typed the same keystrokes (those the model reads alike skipped): one change per frame after the first.
        var changes = rows.Select(r => r.GetProperty("frame_to_frame_change").GetProperty("count").GetInt32()).ToArray();
        Assert.Equal(changes[0], changes[1]);
        Assert.InRange(changes[0], 20, DemoPrompts.All[0].Length - 1);
    }
}
