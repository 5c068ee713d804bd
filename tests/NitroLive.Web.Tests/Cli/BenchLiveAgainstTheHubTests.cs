extern alias cli;

using System.Text.Json;
using cli::NitroLive.Cli.Commands;
using cli::NitroLive.Cli.LiveBench;
using NitroLive.Core.Pipeline;
using NitroLive.Web.Tests.Live;
using NitroLive.Web.Tests.Reliability;

namespace NitroLive.Web.Tests.Cli;

/// <summary>
/// <c>nitrolive bench live</c> against the real hub on Kestrel (fake generator): the CLI reads the hub's replies and
/// frames through the shared wire types of NitroLive.Protocol, with both hub protocols.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class BenchLiveAgainstTheHubTests
{
    [Theory]
    [InlineData("messagepack")]
    [InlineData("json")]
    public async Task BenchLiveTypesPromptsAndReadsTheirFrames(string protocol)
    {
        using var json = await RunBenchAsync(
            "--clients", "2", "--duration", "1", "--warmup", "1", "--cadence-ms", "0", "--pause-ms", "0", "--frame-timeout-s", "20", "--protocol", protocol);
        var run = json.RootElement;
        Assert.Equal(protocol, run.GetProperty("protocol").GetString());
        Assert.Equal(1, run.GetProperty("warmup_s").GetDouble());
        Assert.True(run.GetProperty("frames").GetInt32() > 0, run.ToString());
        Assert.True(run.GetProperty("prompts_completed").GetInt32() > 0, run.ToString());
        Assert.Equal(
            run.GetProperty("prompts_completed").GetInt32(),
            run.GetProperty("final_frames_ms").GetProperty("outside_server").GetProperty("count").GetInt32());
        Assert.Equal(0, run.GetProperty("wrong_prompt_frames").GetInt32());
        Assert.Equal(0, run.GetProperty("rejected_calls").GetInt32());
        Assert.Equal(0, run.GetProperty("errors").GetArrayLength());

        // The live path's own cost, per generated request: some were measured, each split both ways, the server's part
        // around its generation never negative (its total includes the generation) and the part outside it positive.
        var livePath = run.GetProperty("live_path_ms");
        var measured = livePath.GetProperty("total").GetProperty("count").GetInt32();
        Assert.True(measured > 0, run.ToString());
        Assert.Equal(measured, livePath.GetProperty("in_server").GetProperty("count").GetInt32());
        Assert.Equal(measured, livePath.GetProperty("outside_server").GetProperty("count").GetInt32());
        Assert.True(livePath.GetProperty("in_server").GetProperty("min").GetDouble() >= 0, run.ToString());
        Assert.True(livePath.GetProperty("outside_server").GetProperty("min").GetDouble() > 0, run.ToString());
        Assert.True(livePath.GetProperty("total").GetProperty("p50").GetDouble() > 0, run.ToString());

        // Read off the server's own busy-seconds counter around the measured second: some calls ran, and the share
        // cannot pass one (calls are counted as they end, so one call may straddle the window's edge).
        Assert.InRange(run.GetProperty("generator_utilization").GetDouble(), 1e-6, 1.05);
    }

    [Fact]
    public void GeneratorUtilizationIsTheBusySecondsBetweenTwoScrapesOverTimeAndInstances()
    {
        var window = TimeSpan.FromSeconds(20);
        Assert.Equal(0.75, ServerScrape.GeneratorUtilization(Scrape(busy: 10, instances: 2), Scrape(busy: 40, instances: 2), window)!.Value, 9);

        // No call had ended before the window: the counter had no series yet and stood at zero.
        Assert.Equal(0.5, ServerScrape.GeneratorUtilization(Scrape(busy: null, instances: 2), Scrape(busy: 20, instances: 2), window)!.Value, 9);

        // A server without the metrics, or no scrape at one end: no figure rather than a wrong one.
        Assert.Null(ServerScrape.GeneratorUtilization(Scrape(busy: 10, instances: null), Scrape(busy: 40, instances: null), window));
        Assert.Null(ServerScrape.GeneratorUtilization(null, Scrape(busy: 40, instances: 2), window));
        Assert.Null(ServerScrape.GeneratorUtilization(Scrape(busy: 10, instances: 2), null, window));

        static ServerScrape Scrape(double? busy, double? instances) => new(100, 50, 1, busy, instances);
    }

    [Fact]
    public async Task TyposAreTakenBackWithABackspaceWhosePictureIsOneAlreadyMade()
    {
        using var json = await RunBenchAsync(
            "--clients", "2", "--duration", "2", "--warmup", "0", "--cadence-ms", "5", "--pause-ms", "0", "--typos", "20", "--frame-timeout-s", "20");
        var run = json.RootElement;
        var typos = run.GetProperty("typos").GetInt32();
        Assert.True(typos > 0, run.ToString());
        Assert.Equal(20, run.GetProperty("typos_percent").GetInt32());

        // A backspace goes back to text typed a moment ago: its picture is on screen or in the frame cache, unless that
        // keystroke was superseded before it was drawn.
        var backspaceFrames = run.GetProperty("backspace_to_frame_ms").GetProperty("count").GetInt32();
        Assert.InRange(backspaceFrames, 1, typos);
        Assert.InRange(run.GetProperty("backspace_frames_reused").GetInt32(), 1, backspaceFrames);
        Assert.True(run.GetProperty("reused_frames").GetInt32() >= run.GetProperty("backspace_frames_reused").GetInt32(), run.ToString());
        Assert.Equal(0, run.GetProperty("wrong_prompt_frames").GetInt32());
        Assert.Equal(0, run.GetProperty("stale_frames").GetInt32());
    }

    [Fact]
    public async Task WithDraftsAtFourStepsTheBenchTimesTheDraftAndTheFullPictureApart()
    {
        // A pause after each prompt longer than the server's wait for a pause in typing, so full pictures come.
        using var json = await RunBenchAsync(
            "--clients", "2", "--duration", "3", "--warmup", "0", "--cadence-ms", "5", "--pause-ms", "500", "--steps", "4", "--drafts", "on", "--frame-timeout-s", "20");
        var run = json.RootElement;

        Assert.Equal(4, run.GetProperty("steps").GetInt32());
        Assert.True(run.GetProperty("drafts").GetBoolean());
        var full = run.GetProperty("keystroke_to_full_frame_ms");
        Assert.True(full.ValueKind == JsonValueKind.Object && full.GetProperty("count").GetInt32() > 0, run.ToString());

        // The full picture waits for the pause (300 ms by default) after the keystroke its draft answered at once.
        Assert.True(full.GetProperty("p50").GetDouble() > run.GetProperty("keystroke_to_frame_ms").GetProperty("p50").GetDouble() + 250, run.ToString());
        Assert.Equal(0, run.GetProperty("stale_frames").GetInt32());
        Assert.Equal(0, run.GetProperty("wrong_prompt_frames").GetInt32());
    }

    // FIFO sends a keystroke's request only once the previous frame is back: the keystroke waits (keystroke to frame),
    // but the request itself takes one generation and the trip (request to frame, the live path).
    [Fact]
    public async Task InFifoModeARequestsTimeStartsWhenItIsSentNotWhenItsKeystrokeWasTyped()
    {
        using var json = await RunBenchAsync(
            new FakeImageGenerator(delay: TimeSpan.FromMilliseconds(20)),
            "--mode", "fifo", "--clients", "1", "--duration", "2", "--warmup", "0", "--cadence-ms", "1", "--jitter", "0", "--pause-ms", "0",
            "--frame-timeout-s", "20");
        var run = json.RootElement;

        // A prompt's letters queue behind 20 ms generations, so its last keystroke waits for most of them; a request
        // waits for its own generation only. Timed from the keystroke, the requests' median would be about half the
        // keystrokes' wait; the bounds leave a slow machine room either way.
        var keystrokeToFrame = run.GetProperty("keystroke_to_frame_ms").GetProperty("p50").GetDouble();
        var requestToFrame = run.GetProperty("request_to_frame_ms").GetProperty("p50").GetDouble();
        Assert.True(keystrokeToFrame > 200, run.ToString());
        Assert.InRange(requestToFrame, 20, keystrokeToFrame / 4);
        Assert.InRange(run.GetProperty("live_path_ms").GetProperty("total").GetProperty("p50").GetDouble(), 0, keystrokeToFrame / 4);
    }

    /// <summary>Runs <c>bench live</c> with <paramref name="args"/> against a fresh app on loopback; its JSON.</summary>
    private static Task<JsonDocument> RunBenchAsync(params string[] args) => RunBenchAsync(null, args);

    /// <summary>Runs <c>bench live</c> against a fresh app on <paramref name="generator"/> (the fake one when null).</summary>
    private static async Task<JsonDocument> RunBenchAsync(IImageGenerator? generator, params string[] args)
    {
        await using var host = ReliabilityHost.Start(generator, settings: new()
        {
            ["NitroLive:Security:HubCallsPerSecond"] = "10000",
            ["NitroLive:Security:HubCallBurst"] = "100000",
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await BenchLiveCommand.RunAsync(["--url", host.BaseAddress.ToString(), .. args], output, error, cts.Token);

        Assert.True(exit == 0, $"exit {exit}\n{error}\n{output}");
        return JsonDocument.Parse(output.ToString());
    }
}
