using System.Text.Json;
using NitroLive.Cli.Commands;

namespace NitroLive.Core.Tests.Pipeline;

public sealed class BenchPipelineCommandTests(EmbeddedPipelineFixture fixture) : IClassFixture<EmbeddedPipelineFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task OneCombinationPrintsOneObjectWithEveryStage()
    {
        var (code, stdout, stderr) = await RunAsync("--steps", "2", "--batch", "2", "--runs", "2", "--warmup", "1", "--latents", "host");

        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("steps").GetInt32());
        Assert.Equal(2, root.GetProperty("batch").GetInt32());
        Assert.False(root.GetProperty("latents_on_device").GetBoolean());
        Assert.False(root.GetProperty("cuda_graphs_requested").GetBoolean());
        Assert.False(root.GetProperty("unet_shape_session").GetBoolean());
        var hit = root.GetProperty("cache_hit");
        Assert.Equal(2, hit.GetProperty("text_cache_hits").GetInt32());
        Assert.Equal(4, hit.GetProperty("unet_step_ms").GetProperty("count").GetInt32()); // 2 runs x 2 steps
        Assert.Equal(0, root.GetProperty("cache_miss").GetProperty("text_cache_hits").GetInt32());
        Assert.True(root.GetProperty("images_per_second_p50").GetDouble() > 0);
        Assert.Equal(0, root.GetProperty("images_through_tiny_decoder").GetInt32());
    }

    [Fact]
    public async Task ListsRunEveryCombinationOnOneModelLoadAsJsonLines()
    {
        var (code, stdout, stderr) = await RunAsync("--steps", "1,2", "--batch", "1,2", "--runs", "1", "--warmup", "0", "--latents", "device");

        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        var shapes = lines.Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            Assert.True(root.GetProperty("latents_on_device").GetBoolean());

            // A miss run must never find its prompt cached, also in later combinations.
            Assert.Equal(0, root.GetProperty("cache_miss").GetProperty("text_cache_hits").GetInt32());
            return (root.GetProperty("steps").GetInt32(), root.GetProperty("batch").GetInt32());
        }).ToArray();
        Assert.Equal([(1, 1), (1, 2), (2, 1), (2, 2)], shapes);
        Assert.Equal(1, stderr.Split('\n').Count(l => l.Contains("2 step(s) at 128x128, batch 2 on CPU", StringComparison.Ordinal) && l.Contains("miss", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task DraftsGoThroughTheTinyDecoderOfTheEmbeddedModel()
    {
        var (code, stdout, stderr) = await RunAsync("--steps", "1", "--runs", "3", "--warmup", "0", "--prompts", "hit", "--drafts");

        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.True(root.GetProperty("drafts").GetBoolean());
        Assert.True(root.GetProperty("drafts_use_tiny_decoder").GetBoolean());
        Assert.False(root.GetProperty("tiny_decoder").GetBoolean());
        Assert.Equal(3, root.GetProperty("images_through_tiny_decoder").GetInt32());
    }

    [Fact]
    public async Task InterleavedBatchSizesTakeTurnsAndStillPrintOneLinePerBatchSize()
    {
        var (code, stdout, stderr) = await RunAsync("--batch", "1,3", "--interleave", "--runs", "2", "--warmup", "1", "--prompts", "miss", "--cudnn-algo", "heuristic");

        Assert.True(code == 0, stderr);
        Assert.Contains("batches 1, 3 in turn, 1 warm-up + 2 rounds", stderr, StringComparison.Ordinal);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        var batches = lines.Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            Assert.True(root.GetProperty("interleaved").GetBoolean());
            Assert.Equal("heuristic", root.GetProperty("cudnn_conv_algo_search").GetString());
            var miss = root.GetProperty("cache_miss");
            Assert.Equal(2, miss.GetProperty("unet_step_ms").GetProperty("count").GetInt32()); // two rounds of one step
            Assert.Equal(0, miss.GetProperty("text_cache_hits").GetInt32());
            Assert.False(root.TryGetProperty("cache_hit", out _));
            return root.GetProperty("batch").GetInt32();
        }).ToArray();
        Assert.Equal([1, 3], batches);
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await BenchPipelineCommand.RunAsync(["--model", fixture.ModelDirectory, "--provider", "cpu", "--threads", "1", .. args],
            stdout, stderr, CancellationToken.None).WaitAsync(Timeout);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
