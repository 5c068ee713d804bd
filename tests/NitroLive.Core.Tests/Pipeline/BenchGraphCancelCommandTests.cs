using System.Text.Json;
using NitroLive.Cli.Commands;

namespace NitroLive.Core.Tests.Pipeline;

public sealed class BenchGraphCancelCommandTests(EmbeddedPipelineFixture fixture) : IClassFixture<EmbeddedPipelineFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    // The CPU has no CUDA graphs, but the per-shape session, its first uninterrupted runs and the fallback are the same
    // code: what the GPU check runs with a capture under it.
    [Fact]
    public async Task CancelsDuringTheCaptureRunsEndTheirFramesAndLeaveTheShapeSessionWhole()
    {
        var (code, stdout, stderr) = await RunAsync("--batch", "2", "--steps", "2", "--cancel-after-ms", "0", "--replays", "2");

        Assert.True(code == 0, stderr + stdout);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.True(root.GetProperty("passed").GetBoolean());
        Assert.False(root.GetProperty("cuda_graphs").GetBoolean());
        Assert.Equal(2, root.GetProperty("batch").GetInt32());
        var cancels = root.GetProperty("cancels_during_capture").EnumerateArray().ToArray();
        Assert.Equal([0, 1, 2], cancels.Select(c => c.GetProperty("shape_runs_before").GetInt32()));
        Assert.All(cancels, c =>
        {
            Assert.True(c.GetProperty("cancelled").GetBoolean());
            Assert.Equal(1, c.GetProperty("shape_runs_made").GetInt32()); // the run went to its end, the second step never started
        });
        Assert.Equal(2, root.GetProperty("replays_against_shared_session").GetArrayLength());
        Assert.All(root.GetProperty("replays_against_shared_session").EnumerateArray(), d => Assert.True(d.GetProperty("max_levels").GetInt32() <= 1));
        Assert.True(root.GetProperty("cancel_after_capture").GetProperty("cancelled").GetBoolean());
        Assert.Equal(0, root.GetProperty("cancel_after_capture").GetProperty("shape_runs_made").GetInt32()); // Terminate stopped it
        Assert.True(root.GetProperty("final_against_shared_session").GetProperty("max_levels").GetInt32() <= 1);
        Assert.True(root.GetProperty("shape_session_kept").GetBoolean());

        // Three cancelled runs, two replays of two steps, none after the capture's cancel, two steps for the final frame.
        Assert.Equal(3 + 4 + 2, root.GetProperty("shape_runs").GetInt32());
    }

    [Fact]
    public async Task ArgumentsItCannotUseAreRefusedWithTheUsageLine()
    {
        var (code, _, stderr) = await RunAsync("--steps", "9");

        Assert.Equal(2, code);
        Assert.Contains("--steps", stderr, StringComparison.Ordinal);
        Assert.Contains(BenchGraphCancelCommand.UsageLine, stderr, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await BenchGraphCancelCommand.RunAsync(["--model", fixture.ModelDirectory, "--provider", "cpu", .. args],
            stdout, stderr, CancellationToken.None).WaitAsync(Timeout);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
