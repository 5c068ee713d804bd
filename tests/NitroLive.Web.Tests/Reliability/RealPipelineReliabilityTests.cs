using NitroLive.Web.Hubs;

namespace NitroLive.Web.Tests.Reliability;

/// <summary>Uses the real pipeline (NitroPipeline on the embedded model, CPU), not a fake.</summary>
public sealed class RealPipelineReliabilityTests
{
    [Fact]
    public async Task TheRealPipelineServesTwoTypistsThroughTheSecurityAndRateLimitFilters()
    {
        await using var host = ReliabilityHost.StartWithRealPipeline();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var first = await host.NewSessionAsync(cts.Token);
        await using var second = await host.NewSessionAsync(cts.Token);

        // Both type a prompt letter by letter; each gets the frame of exactly its final prompt, as a JPEG.
        const string a = "a red circle on a blue background";
        const string b = "two yellow triangles";
        RequestAcceptedMessage lastA = null!, lastB = null!;
        for (var i = 1; i <= Math.Max(a.Length, b.Length); i++)
        {
            lastA = await first.SetPromptAsync(a[..Math.Min(i, a.Length)], cts.Token);
            lastB = await second.SetPromptAsync(b[..Math.Min(i, b.Length)], cts.Token);
            await Task.Delay(30, cts.Token);
        }

        var frameA = await first.FrameForAsync(lastA.RequestId, TimeSpan.FromMinutes(1));
        var frameB = await second.FrameForAsync(lastB.RequestId, TimeSpan.FromMinutes(1));
        Assert.Equal(a, frameA.Request.Prompt);
        Assert.Equal(b, frameB.Request.Prompt);
        Assert.Equal([0xFF, 0xD8], frameA.Image[..2]);
        Assert.Equal("CPU", frameA.Timings.Provider);
    }
}
