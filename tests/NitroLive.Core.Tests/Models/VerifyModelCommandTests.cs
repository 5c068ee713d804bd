using Microsoft.ML.OnnxRuntime.Tensors;
using NitroLive.Cli.Commands;
using NitroLive.Core.Models;

namespace NitroLive.Core.Tests.Models;

public sealed class VerifyModelCommandTests : IDisposable
{
    private readonly FakeModelFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void AValidFolderIsListedWithItsTensorsAndExitsZero()
    {
        var output = new StringWriter();

        var code = VerifyModelCommand.Run([_folder.Directory, "--no-load"], output, new StringWriter());

        var text = output.ToString();
        Assert.Equal(0, code);
        Assert.Contains("unet/model.onnx (ir_version 8, opset 17)", text, StringComparison.Ordinal);
        Assert.Matches(@"input\s+timestep\s+int64 \[steps\]", text);
        Assert.Matches(@"output\s+hidden_states\.3\s+float32 \[batch_size, 77, 64\]", text);
        Assert.Matches(@"nitrolive\.json\s+\d+ bytes", text);
        Assert.Contains("  example prompts: 0, vocabulary: any text", text, StringComparison.Ordinal);
        Assert.DoesNotContain("note:", text, StringComparison.Ordinal);
        Assert.Contains("OK: no problems found", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AnExportedModelWithAPortableUnetPassesWithANoteThatTheFusedExportIsFasterOnCuda()
    {
        _folder.WriteManifest(embeddedDemo: false);
        var output = new StringWriter();

        var code = VerifyModelCommand.Run([_folder.Directory, "--no-load"], output, new StringWriter());

        var text = output.ToString();
        Assert.Equal(0, code);
        Assert.Contains("  note: the UNet has no ONNX Runtime fusions", text, StringComparison.Ordinal);
        Assert.Contains("OK: no problems found", text, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryProblemIsListedAndTheExitCodeIsNonZero()
    {
        _folder.Delete(ModelFolder.TextEncoder2Path);
        _folder.Truncate(ModelFolder.UnetPath);
        var output = new StringWriter();

        var code = VerifyModelCommand.Run([_folder.Directory], output, new StringWriter());

        var text = output.ToString();
        Assert.Equal(1, code);
        Assert.Contains("2 problems:", text, StringComparison.Ordinal);
        Assert.Contains("  text_encoder_2/model.onnx: file not found (expected an ONNX model exported like Optimum's SDXL text_encoder_2)", text, StringComparison.Ordinal);
        Assert.Contains("  unet/model.onnx: file is truncated or not an ONNX model (protobuf parse failed)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadingSessionsCatchesWhatOnlyOnnxRuntimeCanSee()
    {
        // The fake graphs declare outputs that no node produces: the declarations pass, ONNX Runtime refuses them.
        var output = new StringWriter();

        var code = VerifyModelCommand.Run([_folder.Directory, "--provider", "cpu"], output, new StringWriter());

        var text = output.ToString();
        Assert.Equal(1, code);
        Assert.Contains("Provider: CPU (CPU requested)", text, StringComparison.Ordinal);
        Assert.Contains("  unet/model.onnx: ONNX Runtime cannot open it on CPU (", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AGraphWithCudaOnlyFusionsOnTheCpuSaysItNeedsCudaAndWhyThisMachineIsNotOnIt()
    {
        // ONNX Runtime's GroupNorm fusion, as an export with its diffusion fusions writes it: a CUDA-only operator.
        _folder.WriteFusedUnet();
        var (text, unet) = VerifyOnTheCpu();
        Assert.Contains("GroupNorm", unet, StringComparison.Ordinal);
        Assert.Contains(
            "the graph needs an operator only the CUDA provider has, as ONNX Runtime's diffusion fusions do. This machine is on CPU (CPU requested): make CUDA load",
            unet, StringComparison.Ordinal);
        Assert.Contains("--no-ort-optimize", unet, StringComparison.Ordinal);
        Assert.Contains(", batch dynamic, ONNX Runtime fusions", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AStandardOperatorTheCpuCannotRunIsNotBlamedOnCudaOnlyFusions()
    {
        // Same ONNX Runtime message as a fused graph on the CPU, but every operator is ONNX's own: the CUDA hint would mislead.
        _folder.WriteUnet(nodes:
        [
            new OnnxNodeSpec("Cast", ["sample"], ["narrow"], new Dictionary<string, long> { ["to"] = (long)TensorElementType.UInt16 }),
            new OnnxNodeSpec("Min", ["narrow", "narrow"], ["sum"]),
            new OnnxNodeSpec("Cast", ["sum"], ["out_sample"], new Dictionary<string, long> { ["to"] = (long)TensorElementType.Float }),
        ]);
        var (text, unet) = VerifyOnTheCpu();
        Assert.Contains("Could not find an implementation for Min", unet, StringComparison.Ordinal);
        Assert.DoesNotContain("CUDA", unet, StringComparison.Ordinal);
        Assert.DoesNotContain("ONNX Runtime fusions", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenizerAndSchedulerProblemsAreListedToo()
    {
        _folder.WriteJson("tokenizer_2/vocab.json", """{"a</w>": 0}""");
        _folder.WriteJson("scheduler/scheduler_config.json", """{"prediction_type": "v_prediction"}""");
        var output = new StringWriter();

        var code = VerifyModelCommand.Run([_folder.Directory, "--no-load"], output, new StringWriter());

        var text = output.ToString();
        Assert.Equal(1, code);
        Assert.Contains("2 problems:", text, StringComparison.Ordinal);
        Assert.Contains("  tokenizer_2/vocab.json: ", text, StringComparison.Ordinal);
        Assert.Contains("  scheduler/scheduler_config.json: ", text, StringComparison.Ordinal);
    }

    /// <summary>verify-model on the CPU provider, which must fail: its whole output and its unet/model.onnx line.</summary>
    private (string Text, string UnetLine) VerifyOnTheCpu()
    {
        var output = new StringWriter();
        Assert.Equal(1, VerifyModelCommand.Run([_folder.Directory, "--provider", "cpu"], output, new StringWriter()));
        var text = output.ToString();
        return (text, text.Split('\n').Single(line => line.StartsWith("  unet/model.onnx: ", StringComparison.Ordinal)));
    }

    [Fact]
    public void AMissingDirectoryArgumentIsAUsageError() =>
        Assert.Equal(2, VerifyModelCommand.Run([], new StringWriter(), new StringWriter()));
}
