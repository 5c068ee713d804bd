using Microsoft.ML.OnnxRuntime.Tensors;
using NitroLive.Core.Models;

namespace NitroLive.Core.Tests.Models;

public sealed class FusionAdviceTests : IDisposable
{
    private readonly FakeModelFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void AnExportedModelWhoseUnetHasNoOnnxRuntimeFusionsIsToldTheFusedExportIsFasterOnCuda()
    {
        _folder.WriteManifest(embeddedDemo: false);

        var advice = FusionAdvice.ForPortableUnet(ModelFolder.Load(_folder.Directory));

        Assert.NotNull(advice);
        Assert.Contains("no ONNX Runtime fusions", advice, StringComparison.Ordinal);
        Assert.Contains("--no-ort-optimize", advice, StringComparison.Ordinal);
    }

    [Fact]
    public void AUnetThroughOnnxRuntimesFusionsNeedsNoAdvice()
    {
        _folder.WriteManifest(embeddedDemo: false);
        WriteFusedUnet();

        var folder = ModelFolder.Load(_folder.Directory);

        Assert.Equal(["com.microsoft"], folder.Unet.Graph.OperatorDomains);
        Assert.True(folder.Unet.Graph.UsesOnnxRuntimeContribOperators);
        Assert.Null(FusionAdvice.ForPortableUnet(folder));
    }

    [Fact]
    public void TheEmbeddedDemoModelIsNotToldToFuse()
    {
        var folder = ModelFolder.Load(_folder.Directory);

        Assert.Empty(folder.Unet.Graph.OperatorDomains);
        Assert.Null(FusionAdvice.ForPortableUnet(folder));
    }

    /// <summary>A UNet holding one of ONNX Runtime's fused operators, as its diffusion fusions write them.</summary>
    private void WriteFusedUnet()
    {
        var gamma = new OnnxInlineInitializer("gamma", TensorElementType.Float, [4], new byte[16]);
        _folder.WriteUnet(
            nodes: [new OnnxNodeSpec("GroupNorm", ["sample", "gamma", "beta"], ["out_sample"],
                new Dictionary<string, long> { ["groups"] = 1, ["activation"] = 0 }, Domain: "com.microsoft")],
            initializers: [gamma, gamma with { Name = "beta" }]);
    }
}
