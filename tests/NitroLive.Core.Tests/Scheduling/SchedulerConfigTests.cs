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
    }

    [Theory]
    [InlineData("""{"beta_schedule": "squaredcos_cap_v2"}""", "squaredcos_cap_v2")]
    [InlineData("""{"prediction_type": "v_prediction"}""", "v_prediction")]
    [InlineData("""{"trained_betas": [0.1, 0.2]}""", "trained_betas")]
    [InlineData("""{"num_train_timesteps": "many"}""", "num_train_timesteps")]
    [InlineData("""[1, 2]""", "JSON object")]
    [InlineData("""{"beta_start": """, "not valid JSON")]
    public void UnsupportedOrBrokenConfigsNameTheFileAndTheProblem(string json, string problem)
    {
        var path = Write("bad_scheduler_config.json", json);

        var error = Assert.Throws<InvalidDataException>(() => LcmSchedulerConfig.Load(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
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
