using System.Diagnostics;
using System.Text.Json;
using NitroLive.Core.Scheduling;

namespace NitroLive.Core.Tests.Scheduling;

public sealed class ScheduleCommandTests
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(250, 4)]
    [InlineData(500, 3)]
    [InlineData(250, 1)]
    public async Task ScheduleCommandPrintsOneRoundTrippableJsonObject(int shift, int steps)
    {
        var (exitCode, stdout, stderr) = await RunCliAsync("schedule", "--shifted-timestep", $"{shift}", "--steps", $"{steps}");

        Assert.True(exitCode == 0, stderr);
        Assert.Equal(string.Empty, stderr);
        var expected = new TimestepShiftLcmScheduler(new LcmSchedulerConfig(), shift).CreateSchedule(steps);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal(["unet_timesteps", "origin_timesteps", "steps"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(expected.UnetTimesteps, root.GetProperty("unet_timesteps").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(expected.OriginTimesteps, root.GetProperty("origin_timesteps").EnumerateArray().Select(e => e.GetInt32()));
        var printed = root.GetProperty("steps").EnumerateArray().ToArray();
        Assert.Equal(steps, printed.Length);
        for (var i = 0; i < steps; i++)
        {
            // Exact equality: the printed numbers must parse back to the same doubles.
            Assert.Equal(expected.Steps[i].AlphaProdT, printed[i].GetProperty("alpha_prod_t").GetDouble());
            Assert.Equal(expected.Steps[i].AlphaProdTPrev, printed[i].GetProperty("alpha_prod_t_prev").GetDouble());
            Assert.Equal(expected.Steps[i].CSkip, printed[i].GetProperty("c_skip").GetDouble());
            Assert.Equal(expected.Steps[i].COut, printed[i].GetProperty("c_out").GetDouble());
        }
    }

    [Fact]
    public async Task ScheduleCommandMatchesTheFloat64GoldenScalars()
    {
        var golden = SchedulerGoldens.Case(250, 4).GetProperty("float64_reference").GetProperty("steps").EnumerateArray().ToArray();

        var (exitCode, stdout, stderr) = await RunCliAsync("schedule", "--shifted-timestep", "250", "--steps", "4", "--original-steps", "4");

        Assert.True(exitCode == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var printed = json.RootElement.GetProperty("steps").EnumerateArray().ToArray();
        for (var i = 0; i < golden.Length; i++)
        {
            foreach (var field in new[] { "alpha_prod_t", "alpha_prod_t_prev", "c_skip", "c_out" })
            {
                Assert.Equal(golden[i].GetProperty(field).GetDouble(), printed[i].GetProperty(field).GetDouble(), 1e-12);
            }
        }
    }

    [Fact]
    public async Task TooManyStepsExitWithDiffusersReasonOnStderr()
    {
        var expected = SchedulerGoldens.Root.GetProperty("errors").GetProperty("5").GetProperty("message").GetString();

        var (exitCode, stdout, stderr) = await RunCliAsync("schedule", "--shifted-timestep", "250", "--steps", "5");

        Assert.Equal(1, exitCode);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal(expected, stderr.Trim());
    }

    [Theory]
    [InlineData("{\"num_train_timesteps\": ")]
    [InlineData("[1, 2]")]
    [InlineData("{\"num_train_timesteps\": \"many\"}")]
    public async Task ASchedulerConfigThatCannotBeReadExitsWithOneNamingTheFile(string content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"nitrolive-scheduler-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, content);
        try
        {
            var (exitCode, stdout, stderr) = await RunCliAsync("schedule", "--shifted-timestep", "250", "--steps", "2", "--scheduler-config", path);

            Assert.Equal(1, exitCode);
            Assert.Equal(string.Empty, stdout);
            Assert.Contains(path, stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("schedule", "--steps", "2")]
    [InlineData("schedule", "--shifted-timestep", "abc", "--steps", "2")]
    [InlineData("schedule", "--shifted-timestep", "250", "--steps")]
    [InlineData("schedule", "--shifted-timestep", "250", "--steps", "2", "--bogus", "1")]
    public async Task BadOptionsExitWithUsage(params string[] args)
    {
        var (exitCode, stdout, stderr) = await RunCliAsync(args);

        Assert.Equal(2, exitCode);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("Usage: nitrolive schedule", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no-such-command")]
    [InlineData]
    public async Task UnknownCommandsExitWithTwoAndUsage(params string[] args)
    {
        var (exitCode, _, stderr) = await RunCliAsync(args);

        Assert.Equal(2, exitCode);
        Assert.Contains("Usage: nitrolive", stderr, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunCliAsync(params string[] args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "nitrolive.dll");
        Assert.True(File.Exists(cli), $"{cli} is missing; the test project references NitroLive.Cli so it should be copied here.");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(cli);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(ProcessTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
