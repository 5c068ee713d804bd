using NitroLive.Core.Models;
using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.Pipeline;

/// <summary>
/// One pipeline on the embedded demo model (models/nitro-tiny, copied next to the test assembly like next to the apps),
/// shared by a test class. NITROLIVE_TEST_MODEL_DIR points the tests at another folder with the same contract.
/// </summary>
public sealed class EmbeddedPipelineFixture : IDisposable
{
    private readonly Lazy<NitroPipeline> _pipeline;

    public EmbeddedPipelineFixture()
    {
        ModelDirectory = Environment.GetEnvironmentVariable("NITROLIVE_TEST_MODEL_DIR") is { Length: > 0 } dir ? dir : EmbeddedModel.DefaultDirectory;
        _pipeline = new Lazy<NitroPipeline>(() =>
        {
            Assert.True(File.Exists(Path.Combine(ModelDirectory, "nitrolive.json")),
                $"The embedded model is missing at {ModelDirectory}: models/nitro-tiny must be in the repository (or set NITROLIVE_TEST_MODEL_DIR).");
            return new NitroPipeline(Options());
        });
    }

    public string ModelDirectory { get; }

    public NitroPipeline Pipeline => _pipeline.Value;

    public PipelineOptions Options() => new() { ModelDirectory = ModelDirectory, Provider = ProviderPreference.Cpu };

    public void Dispose()
    {
        if (_pipeline.IsValueCreated)
        {
            _pipeline.Value.Dispose();
        }
    }
}
