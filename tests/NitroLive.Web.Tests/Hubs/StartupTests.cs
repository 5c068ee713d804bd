using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using NitroLive.Core.Pipeline;
using NitroLive.Web.Extensions;

namespace NitroLive.Web.Tests.Hubs;

public sealed class StartupTests
{
    [Fact]
    public void AMissingModelFolderStopsStartupNamingTheFolder()
    {
        var missing = Path.Combine(Path.GetTempPath(), "nitrolive-no-model-" + Guid.NewGuid().ToString("N"));

        var error = Assert.ThrowsAny<Exception>(() => Start(missing));

        var validation = Assert.IsType<OptionsValidationException>(error is AggregateException a ? a.InnerExceptions[0] : error);
        Assert.Contains(missing, validation.Message, StringComparison.Ordinal);
        Assert.Contains("model folder not found", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AModelFolderWithoutItsUnetStopsStartupNamingTheFileAndWhy()
    {
        var folder = Directory.CreateTempSubdirectory("nitrolive-broken-model-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "model_index.json"), "{}");

            var error = Assert.ThrowsAny<Exception>(() => Start(folder.FullName));

            var validation = Assert.IsType<OptionsValidationException>(error is AggregateException a ? a.InnerExceptions[0] : error);
            Assert.Contains("unet/model.onnx", validation.Message, StringComparison.Ordinal);
            Assert.Contains("NitroLive:Model:Directory", validation.Message, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("NitroLive:Live:JpegQuality", "0", "JpegQuality")]
    [InlineData("NitroLive:Model:ParallelGenerators", "-1", "ParallelGenerators")]
    public void InvalidOptionsStopStartupNamingTheKey(string key, string value, string named)
    {
        using var factory = new LiveAppFactory(settings: new() { [key] = value });

        var error = Assert.ThrowsAny<Exception>(factory.StartServer);

        Assert.Contains(named, (error is AggregateException a ? a.InnerExceptions[0] : error).Message, StringComparison.Ordinal);
    }

    // A step count outside 1 to 4 is a configuration mistake to report, not one to drop quietly beside the valid ones.
    [Theory]
    [InlineData("5")]
    [InlineData("2", "5")]
    public void AllowedStepsOutsideOneToFourStopStartupNamingTheKey(params string[] steps)
    {
        using var factory = new LiveAppFactory(settings: steps
            .Select((step, index) => (Key: $"NitroLive:Live:AllowedSteps:{index}", Value: (string?)step))
            .ToDictionary(s => s.Key, s => s.Value));

        var error = Assert.ThrowsAny<Exception>(factory.StartServer);

        var message = (error is AggregateException a ? a.InnerExceptions[0] : error).Message;
        Assert.Contains("NitroLive:Live:AllowedSteps", message, StringComparison.Ordinal);
        Assert.Contains("1 to 4", message, StringComparison.Ordinal);
    }

    [Fact]
    public void AKioskPlaylistPromptTheBlocklistBlocksStopsStartup()
    {
        using var factory = new LiveAppFactory(settings: new()
        {
            ["NitroLive:Kiosk:Playlist:0"] = "a forbidden castle",
            ["NitroLive:Kiosk:Blocklist:0"] = "forbidden",
        });

        var error = Assert.ThrowsAny<Exception>(factory.StartServer);

        Assert.Contains("NitroLive:Kiosk:Blocklist blocks", (error is AggregateException a ? a.InnerExceptions[0] : error).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GpuSettingsBindFromConfigurationIntoThePipelineOptions()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["NitroLive:Model:CudnnConvAlgoSearch"] = "Heuristic",
            ["NitroLive:Model:UseTf32"] = "false",
            ["NitroLive:Model:KeepLatentsOnDevice"] = "true",
            ["NitroLive:Model:GpuMemoryLimitBytes"] = "8000000000",
            ["NitroLive:Model:UseTensorRt"] = "true",
            ["NitroLive:Model:TensorRtCacheDirectory"] = "trt-cache",
            ["NitroLive:Model:UseCudaGraphs"] = "true",
        }).Build();
        var options = new NitroModelOptions();
        configuration.GetSection(NitroModelOptions.SectionName).Bind(options);

        var pipeline = options.ToPipelineOptions();

        Assert.Equal(CudnnConvAlgoSearch.Heuristic, pipeline.CudnnConvAlgoSearch);
        Assert.False(pipeline.UseTf32);
        Assert.True(pipeline.KeepLatentsOnDevice);
        Assert.Equal(8_000_000_000, pipeline.GpuMemoryLimitBytes);
        Assert.True(pipeline.UseTensorRt);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "trt-cache"), pipeline.TensorRtCacheDirectory);
        Assert.True(pipeline.UseCudaGraphs);
        Assert.False(new NitroModelOptions().ToPipelineOptions().UseCudaGraphs);
    }

    private static void Start(string modelDirectory)
    {
        using var factory = new LiveAppFactory(settings: new() { ["NitroLive:Model:Directory"] = modelDirectory }, useRealGenerator: true);
        factory.StartServer();
    }
}
