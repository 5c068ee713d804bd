using System.Text.Json;
using NitroLive.Core.Scheduling;

namespace NitroLive.Core.Tests.Scheduling;

public sealed class SchedulerConfigTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("nitrolive-sched-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void SdxlSchedulerConfigLoadsAsTheLcmDefaults()
    {
        var path = Write("scheduler_config.json", SchedulerGoldens.Root.GetProperty("sdxl_scheduler_config_json").GetRawText());

        var config = LcmSchedulerConfig.Load(path);

        Assert.Equal(new LcmSchedulerConfig(), config);
    }

    [Fact]
    public void ValuesInTheFileAreRead()
    {
        var path = Write("c.json", """{"num_train_timesteps": 500, "beta_start": 0.001, "beta_end": 0.02, "beta_schedule": "linear", "timestep_scaling": 5.0, "extra": [1,2]}""");

        var config = LcmSchedulerConfig.Load(path);

        Assert.Equal(new LcmSchedulerConfig(500, 0.001, 0.02, "linear", "epsilon", 5.0), config);
        var scheduler = new TimestepShiftLcmScheduler(config, 250);
        Assert.Equal(500, scheduler.AlphasCumprod.Count);
        Assert.Equal(1 - 0.001, scheduler.AlphasCumprod[0], 1e-15);

        // The first entry is the same whether the betas are linear or squared (sqrt(b)^2 = b); the last one tells the
        // schedules apart. Linear is linspace(beta_start, beta_end, T), alphas_cumprod = cumprod(1 - beta)
        // (/work/shared/reference/README.md), computed here term by term in double precision.
        var last = 1.0;
        for (var i = 0; i < 500; i++)
        {
            last *= 1 - (0.001 + (i * (0.02 - 0.001) / 499));
        }

        Assert.Equal(last, scheduler.AlphasCumprod[^1], 1e-15);
        Assert.Equal(last, scheduler.AlphasCumprodFloat32[^1], last * 1e-5);
    }

    [Theory]
    [InlineData("""{"beta_schedule": "squaredcos_cap_v2"}""", "squaredcos_cap_v2")]
    [InlineData("""{"prediction_type": "v_prediction"}""", "v_prediction")]
    [InlineData("""{"trained_betas": [0.1, 0.2]}""", "trained_betas")]
    [InlineData("""{"num_train_timesteps": "many"}""", "num_train_timesteps")]
    [InlineData("""[1, 2]""", "JSON object")]
    [InlineData("""{"beta_start": """, "not valid JSON")]
    [InlineData("""{"beta_start": 0}""", "beta_start and beta_end must lie in (0, 1)")]
    [InlineData("""{"beta_start": -0.001}""", "beta_start and beta_end must lie in (0, 1)")]
    [InlineData("""{"beta_start": 1}""", "beta_start and beta_end must lie in (0, 1)")]
    [InlineData("""{"beta_end": 1}""", "beta_start and beta_end must lie in (0, 1)")]
    [InlineData("""{"beta_end": 0}""", "beta_start and beta_end must lie in (0, 1)")]
    [InlineData("""{"beta_end": 1.5}""", "beta_start and beta_end must lie in (0, 1)")]
    [InlineData("""{"num_train_timesteps": 1}""", "num_train_timesteps must be at least 2, got 1")]
    [InlineData("""{"num_train_timesteps": 0}""", "num_train_timesteps must be at least 2, got 0")]
    // JSON has no infinity, but a number too large for a double reads as one.
    [InlineData("""{"timestep_scaling": 1e400}""", "timestep_scaling must be finite")]
    [InlineData("""{"timestep_scaling": -1e400}""", "timestep_scaling must be finite")]
    public void UnsupportedOrBrokenConfigsNameTheFileAndTheProblem(string json, string problem)
    {
        var path = Write("bad_scheduler_config.json", json);

        var error = Assert.Throws<InvalidDataException>(() => LcmSchedulerConfig.Load(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    // NaN cannot be written in JSON and sigma_data is not read from the file, but a configuration built in code can hold
    // either; the scheduler refuses them rather than producing NaN latents.
    [Theory]
    [InlineData(double.PositiveInfinity, 0.5)]
    [InlineData(double.NegativeInfinity, 0.5)]
    [InlineData(double.NaN, 0.5)]
    [InlineData(10.0, 0.0)]
    [InlineData(10.0, double.NaN)]
    public void ANonFiniteTimestepScalingOrANonPositiveSigmaDataIsRefused(double timestepScaling, double sigmaData)
    {
        var config = new LcmSchedulerConfig(TimestepScaling: timestepScaling, SigmaData: sigmaData);

        var error = Assert.Throws<ArgumentException>(() => new TimestepShiftLcmScheduler(config, 250));

        Assert.StartsWith("timestep_scaling must be finite and sigma_data positive", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileNamesTheFile()
    {
        var path = Path.Combine(_directory, "missing.json");
        var error = Assert.Throws<FileNotFoundException>(() => LcmSchedulerConfig.Load(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void GoldenConfigIsTheSdxlOne()
    {
        // Guards the test above: it is only meaningful if the golden file really holds SDXL's Euler config.
        var sdxl = SchedulerGoldens.Root.GetProperty("sdxl_scheduler_config_json");
        Assert.Equal("EulerDiscreteScheduler", sdxl.GetProperty("_class_name").GetString());
        Assert.Equal(JsonValueKind.False, sdxl.GetProperty("set_alpha_to_one").ValueKind);
    }
}
