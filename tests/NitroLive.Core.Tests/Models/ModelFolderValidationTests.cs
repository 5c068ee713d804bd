using Microsoft.ML.OnnxRuntime.Tensors;
using NitroLive.Core.Models;
using static NitroLive.Core.Tests.Models.FakeModelFolder;

namespace NitroLive.Core.Tests.Models;

public sealed class ModelFolderValidationTests : IDisposable
{
    private readonly FakeModelFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private List<string> Problems() => [.. ModelFolder.Inspect(_folder.Directory).Problems.Select(p => p.ToString())];

    [Fact]
    public void AValidFolderLoadsWithEveryFactReadFromItsFiles()
    {
        var model = ModelFolder.Load(_folder.Directory);

        Assert.Equal("hidden_states.2", model.TextEncoder.PenultimateHiddenState);
        Assert.Equal("hidden_states.2", model.TextEncoder2.PenultimateHiddenState);
        Assert.Equal(Te1Width, model.TextEncoder.HiddenSize);
        Assert.Equal(Te2Width, model.TextEncoder2.HiddenSize);
        Assert.Equal("text_embeds", model.TextEncoder2.PooledOutput);
        Assert.Equal(PooledWidth, model.TextEncoder2.PooledSize);
        Assert.Null(model.TextEncoder.PooledOutput);
        Assert.Equal(TensorElementType.Int64, model.TextEncoder.InputIdsType);
        Assert.Equal(77, model.TextEncoder.SequenceLength);
        Assert.Equal(4, model.Unet.LatentChannels);
        Assert.Equal(TensorElementType.Int64, model.Unet.TimestepType);
        Assert.Equal(1, model.Unet.TimestepRank);
        Assert.Null(model.Unet.FixedBatch);
        Assert.Equal(4, model.VaeScaleFactor);
        Assert.Equal(0.5, model.VaeDecoder.Config.ScalingFactor);
        Assert.Null(model.VaeDecoderTiny);
        Assert.Equal(250, model.Manifest.ShiftedTimestep);
        Assert.Equal([(128, 128), (64, 128)], model.Manifest.Sizes);
        Assert.Equal([1, 2, 3, 4], model.Manifest.SupportedSteps);
        Assert.True(model.Manifest.EmbeddedDemo);
        Assert.Empty(model.Manifest.ExamplePrompts);
    }

    [Fact]
    public void ExamplePromptsAreReadTrimmedAndWithoutRepeats()
    {
        _folder.WriteJson("nitrolive.json", """
            {"display_name": "Fake", "variant": "tiny", "shifted_timestep": 250, "original_inference_steps": 4,
             "native_width": 128, "native_height": 128, "supported_steps": [1], "sizes": [[128, 128]],
             "example_prompts": ["a red circle", " two blue squares ", "a red circle"]}
            """);

        Assert.Equal(["a red circle", "two blue squares"], ModelFolder.Load(_folder.Directory).Manifest.ExamplePrompts);
    }

    [Theory]
    [InlineData("\"a red circle\"", "\"a red circle\"")]
    [InlineData("[\"a red circle\", \"  \"]", "[\"a red circle\", \"  \"]")]
    [InlineData("[\"a red circle\", 3]", "[\"a red circle\", 3]")]
    public void ExamplePromptsThatAreNotAListOfPromptsAreReported(string value, string described)
    {
        _folder.WriteJson("nitrolive.json", $$"""
            {"display_name": "Fake", "variant": "tiny", "shifted_timestep": 250, "original_inference_steps": 4,
             "native_width": 128, "native_height": 128, "supported_steps": [1], "sizes": [[128, 128]],
             "example_prompts": {{value}}}
            """);

        Assert.Equal(
            [$"nitrolive.json: 'example_prompts' must be an array of non-empty prompts of at most {ModelFolder.MaxExamplePromptLength} characters, found {described}"],
            Problems());
    }

    [Fact]
    public void AVocabularyIsReadInLowerCaseAndAnEntryThatIsNotAWordIsReported()
    {
        const string Manifest = """
            {"display_name": "Fake", "variant": "tiny", "shifted_timestep": 250, "original_inference_steps": 4,
             "native_width": 128, "native_height": 128, "supported_steps": [1], "sizes": [[128, 128]],
             "vocabulary": VOCABULARY}
            """;
        _folder.WriteJson("nitrolive.json", Manifest.Replace("VOCABULARY", """["red", "Circle", "red"]""", StringComparison.Ordinal));
        Assert.Equal(["red", "circle"], ModelFolder.Load(_folder.Directory).Manifest.Vocabulary);

        _folder.WriteJson("nitrolive.json", Manifest.Replace("VOCABULARY", """["red", "blue sky"]""", StringComparison.Ordinal));
        Assert.Equal(
            ["nitrolive.json: 'vocabulary' must be an array of at most 10,000 words (no spaces), found [\"red\", \"blue sky\"]"],
            Problems());
    }

    [Fact]
    public void AnExamplePromptLongerThanTheLimitIsReported()
    {
        var longPrompt = new string('a', ModelFolder.MaxExamplePromptLength + 1);
        _folder.WriteJson("nitrolive.json", $$"""
            {"display_name": "Fake", "variant": "tiny", "shifted_timestep": 250, "original_inference_steps": 4,
             "native_width": 128, "native_height": 128, "supported_steps": [1], "sizes": [[128, 128]],
             "example_prompts": ["{{longPrompt}}"]}
            """);

        var problem = Assert.Single(Problems());
        Assert.StartsWith("nitrolive.json: 'example_prompts' must be an array of non-empty prompts", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLayerCountIsReadFromTheOutputsNotAssumed()
    {
        _folder.WriteTextEncoder(ModelFolder.TextEncoderPath, 48, ("pooler_output", 48), first: false, layers: 11);
        _folder.WriteUnet(encoderHiddenStates: T("encoder_hidden_states", TensorElementType.Float, "batch_size", 77, 48 + Te2Width));

        var model = ModelFolder.Load(_folder.Directory);

        Assert.Equal("hidden_states.10", model.TextEncoder.PenultimateHiddenState);
        Assert.Equal(48, model.TextEncoder.HiddenSize);
    }

    [Fact]
    public void AMissingTextEncoder2IsReportedWithWhatWasExpected()
    {
        _folder.Delete(ModelFolder.TextEncoder2Path);

        Assert.Equal(["text_encoder_2/model.onnx: file not found (expected an ONNX model exported like Optimum's SDXL text_encoder_2)"], Problems());
    }

    [Fact]
    public void ATruncatedTextEncoderIsReportedAsAProtobufParseFailure()
    {
        _folder.Truncate(ModelFolder.TextEncoderPath);

        Assert.Equal(["text_encoder/model.onnx: file is truncated or not an ONNX model (protobuf parse failed)"], Problems());
    }

    [Fact]
    public void AFileThatIsNotOnnxIsReportedAsAProtobufParseFailure()
    {
        _folder.WriteText(ModelFolder.VaeDecoderPath, "{\"this is\": \"json\"}");

        Assert.Equal(["vae_decoder/model.onnx: file is truncated or not an ONNX model (protobuf parse failed)"], Problems());
    }

    [Fact]
    public void AnEmptyFileIsReportedAsAProtobufParseFailure()
    {
        _folder.WriteText(ModelFolder.UnetPath, string.Empty);

        Assert.Equal(["unet/model.onnx: file is truncated or not an ONNX model (protobuf parse failed)"], Problems());
    }

    [Fact]
    public void ARenamedInputIsReportedWithTheNamesTheFileHas()
    {
        _folder.WriteUnet(timestep: T("t", TensorElementType.Int64, 1));

        Assert.Equal(
            [
                "unet/model.onnx: input 'timestep' not found (found inputs: sample, t, encoder_hidden_states, text_embeds, time_ids)",
                "unet/model.onnx: input 't' is not one the pipeline feeds (expected only: sample, timestep, encoder_hidden_states, text_embeds, time_ids)",
            ],
            Problems());
    }

    [Fact]
    public void AWrongTimestepElementTypeIsReportedWithTheTypesAccepted()
    {
        _folder.WriteUnet(timestep: T("timestep", TensorElementType.Bool, 1));

        var problem = Assert.Single(ModelFolder.Inspect(_folder.Directory).Problems);
        Assert.Equal("unet/model.onnx: input 'timestep' has element type bool, expected int64, int32, float32 or float16", problem.ToString());
        Assert.Equal("timestep", problem.Tensor);
        Assert.Equal("unet/model.onnx", problem.File);
    }

    [Fact]
    public void AWrongInputIdsElementTypeIsReported()
    {
        _folder.WriteTextEncoder(ModelFolder.TextEncoderPath, Te1Width, ("pooler_output", Te1Width), first: false, layers: 3, idsType: TensorElementType.Float);

        Assert.Equal(["text_encoder/model.onnx: input 'input_ids' has element type float32, expected int64 or int32"], Problems());
    }

    [Fact]
    public void AWrongRankIsReportedWithTheShapeFound()
    {
        _folder.WriteUnet(sample: T("sample", TensorElementType.Float, "batch_size", 4, 64));

        Assert.Equal(["unet/model.onnx: input 'sample' has rank 3 [batch_size, 4, 64], expected rank 4 [batch, channels, height/f, width/f]"], Problems());
    }

    [Fact]
    public void TooFewHiddenStatesAreReported()
    {
        _folder.WriteGraph(ModelFolder.TextEncoderPath,
            [T("input_ids", TensorElementType.Int64, "batch_size", 77)],
            [T("last_hidden_state", TensorElementType.Float, "batch_size", 77, Te1Width), T("hidden_states.0", TensorElementType.Float, "batch_size", 77, Te1Width)]);

        Assert.Equal(
            ["text_encoder/model.onnx: found 1 'hidden_states.N' output, expected at least 2 (the pipeline uses the penultimate layer, hidden_states[-2])"],
            Problems());
    }

    [Fact]
    public void AnEncoderWidthThatDoesNotMatchBothTextEncodersIsReported()
    {
        _folder.WriteUnet(encoderHiddenStates: T("encoder_hidden_states", TensorElementType.Float, "batch_size", 77, 2048));

        Assert.Equal(
            ["unet/model.onnx: input 'encoder_hidden_states' has width 2048, but text_encoder's hidden size 64 + text_encoder_2's 96 = 160"],
            Problems());
    }

    [Fact]
    public void Float16AndAScalarFloatTimestepAreAccepted()
    {
        _folder.WriteUnet(
            sample: T("sample", TensorElementType.Float16, "batch_size", 4, "height", "width"),
            timestep: new OnnxTensorInfo("timestep", TensorElementType.Float, []),
            encoderHiddenStates: T("encoder_hidden_states", TensorElementType.Float16, "batch_size", 77, Te1Width + Te2Width));

        var model = ModelFolder.Load(_folder.Directory);

        Assert.Equal(TensorElementType.Float16, model.Unet.SampleType);
        Assert.Equal(TensorElementType.Float, model.Unet.TimestepType);
        Assert.Equal(0, model.Unet.TimestepRank);
    }

    [Fact]
    public void AFixedBatchOfMoreThanOneIsReported()
    {
        _folder.WriteUnet(sample: T("sample", TensorElementType.Float, 2, 4, "height", "width"));

        Assert.Equal(["unet/model.onnx: input 'sample' has a batch axis fixed to 2, expected a dynamic batch axis or 1"], Problems());
    }

    [Fact]
    public void BadManifestValuesAreAllListed()
    {
        _folder.WriteJson("nitrolive.json", """
            {"display_name": "", "variant": "tiny", "shifted_timestep": "250", "original_inference_steps": 4,
             "native_width": 130, "native_height": 128, "supported_steps": [1, 5], "sizes": [[128, 128], [100]],
             "embedded_demo": "yes"}
            """);

        Assert.Equal(
            [
                "nitrolive.json: 'display_name' must be a non-empty string, found \"\"",
                "nitrolive.json: 'shifted_timestep' must be an integer from 1 to 999, found \"250\"",
                "nitrolive.json: 'native_width' must be a multiple of the VAE scale factor 4, found 130",
                "nitrolive.json: 'supported_steps' must be a non-empty array of integers from 1 to original_inference_steps (4), found [1, 5]",
                "nitrolive.json: 'sizes' entries must be [width, height] pairs of integers from 8 to 4096, found [100]",
                "nitrolive.json: 'embedded_demo' must be true or false, found \"yes\"",
            ],
            Problems());
    }

    [Fact]
    public void AManifestThatIsNotJsonIsReported()
    {
        _folder.WriteText("nitrolive.json", "display_name: Fake");

        var problem = Assert.Single(Problems());
        Assert.StartsWith("nitrolive.json: not valid JSON (", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingManifestKeyIsReported()
    {
        _folder.WriteJson("nitrolive.json", """
            {"display_name": "Fake", "variant": "tiny", "original_inference_steps": 4, "native_width": 128,
             "native_height": 128, "supported_steps": [1], "sizes": [[128, 128]]}
            """);

        Assert.Equal(["nitrolive.json: 'shifted_timestep' is missing, expected an integer from 1 to 999"], Problems());
    }

    [Fact]
    public void ABadVaeConfigIsReported()
    {
        _folder.WriteJson("vae_decoder/config.json", """{"scaling_factor": -0.13, "latent_channels": 4}""");

        Assert.Equal(
            [
                "vae_decoder/config.json: 'scaling_factor' must be a positive number, found -0.13",
                "vae_decoder/config.json: 'block_out_channels' is missing, expected the decoder's block widths (the scale factor is 2^(count-1))",
            ],
            Problems());
    }

    [Fact]
    public void TheScaleFactorComesFromTheVaeConfig()
    {
        _folder.WriteJson("vae_decoder/config.json", """{"scaling_factor": 0.13025, "block_out_channels": [128, 256, 512, 512]}""");

        var model = ModelFolder.Load(_folder.Directory);

        Assert.Equal(8, model.VaeScaleFactor);
        Assert.Equal(0.13025, model.VaeDecoder.Config.ScalingFactor);
    }

    [Fact]
    public void LatentChannelsThatDisagreeBetweenUnetAndVaeAreReported()
    {
        _folder.WriteUnet(sample: T("sample", TensorElementType.Float, "batch_size", 16, "height", "width"));

        Assert.Contains("unet/model.onnx: input 'sample' has 16 channels, but the VAE decoder takes 4 latent channels", Problems());
    }

    [Fact]
    public void ATinyDecoderWithoutConfigDecodesTheUnetLatentsAsTheyAre()
    {
        _folder.WriteGraph(ModelFolder.VaeDecoderTinyPath,
            [T("latent_sample", TensorElementType.Float, "batch_size", 4, "height", "width")],
            [T("sample", TensorElementType.Float, "batch_size", 3, "height", "width")]);

        var model = ModelFolder.Load(_folder.Directory);

        Assert.NotNull(model.VaeDecoderTiny);
        Assert.Equal(1.0, model.VaeDecoderTiny.Config.ScalingFactor);
        Assert.Equal(model.VaeScaleFactor, model.VaeDecoderTiny.Config.ScaleFactor);
        Assert.Equal(VaeOutputRange.MinusOneToOne, model.VaeDecoderTiny.Config.OutputRange);
    }

    [Fact]
    public void ATinyDecoderWhoseChannelsDisagreeNamesTheConfigThatDeclaredThem()
    {
        _folder.WriteGraph(ModelFolder.VaeDecoderTinyPath,
            [T("latent_sample", TensorElementType.Float, "batch_size", 16, "height", "width")],
            [T("sample", TensorElementType.Float, "batch_size", 3, "height", "width")]);

        // No config of its own: the channel count it was checked against is vae_decoder's.
        Assert.Contains(
            "vae_decoder_tiny/model.onnx: input 'latent_sample' has 16 channels but vae_decoder/config.json says latent_channels 4",
            Problems());

        _folder.WriteJson("vae_decoder_tiny/config.json", """
            {"_class_name": "AutoencoderTiny", "decoder_block_out_channels": [64, 64, 64], "latent_channels": 8}
            """);
        Assert.Contains(
            "vae_decoder_tiny/model.onnx: input 'latent_sample' has 16 channels but vae_decoder_tiny/config.json says latent_channels 8",
            Problems());
    }

    [Fact]
    public void SizesLargerThanAGenerationMayAskForAreRefused()
    {
        _folder.WriteJson("nitrolive.json", """
            {"display_name": "Fake", "variant": "tiny", "shifted_timestep": 250, "original_inference_steps": 4,
             "native_width": 8192, "native_height": 128, "supported_steps": [1], "sizes": [[128, 128], [6144, 6144]]}
            """);

        Assert.Equal(
            [
                "nitrolive.json: 'native_width' must be an integer from 8 to 4096, found 8192",
                "nitrolive.json: 'sizes' entries must be [width, height] pairs of integers from 8 to 4096, found [6144, 6144]",
            ],
            Problems());
    }

    [Fact]
    public void ATinyDecoderConfigCanDeclareARawTaesdOutputRange()
    {
        _folder.WriteGraph(ModelFolder.VaeDecoderTinyPath,
            [T("latent_sample", TensorElementType.Float, "batch_size", 4, "height", "width")],
            [T("sample", TensorElementType.Float, "batch_size", 3, "height", "width")]);
        _folder.WriteJson("vae_decoder_tiny/config.json", """
            {"_class_name": "AutoencoderTiny", "decoder_block_out_channels": [64, 64, 64], "scaling_factor": 1.0, "output_range": [0, 1]}
            """);

        var model = ModelFolder.Load(_folder.Directory);

        Assert.Equal(VaeOutputRange.ZeroToOne, model.VaeDecoderTiny!.Config.OutputRange);
        Assert.Equal(4, model.VaeDecoderTiny.Config.ScaleFactor);
    }

    [Fact]
    public void MissingExternalWeightsAreReported()
    {
        _folder.WriteUnet();
        var unet = OnnxModelWriter.Build(
            ModelFolder.Inspect(_folder.Directory).Graphs[ModelFolder.UnetPath].Inputs,
            ModelFolder.Inspect(_folder.Directory).Graphs[ModelFolder.UnetPath].Outputs,
            [],
            externalInitializers: [new OnnxExternalInitializer("conv.weight", [8, 4, 3, 3], "model.onnx_data", 0)]);
        File.WriteAllBytes(_folder.PathOf(ModelFolder.UnetPath), unet);

        Assert.Equal(["unet/model.onnx: external weights file 'model.onnx_data' not found beside it (expected unet/model.onnx_data)"], Problems());

        File.WriteAllBytes(_folder.PathOf("unet/model.onnx_data"), new byte[100]);
        Assert.Equal(["unet/model.onnx_data: file is truncated (holds 100 bytes, the initializers of unet/model.onnx need at least 1152)"], Problems());

        File.WriteAllBytes(_folder.PathOf("unet/model.onnx_data"), new byte[8 * 4 * 3 * 3 * 4]);
        Assert.Empty(Problems());
    }

    [Fact]
    public void InitializersListedAsGraphInputsAreNotInputs()
    {
        var graph = OnnxModelWriter.Build(
            [T("latent_sample", TensorElementType.Float, "batch_size", 4, "height", "width"), T("w", TensorElementType.Float, 4)],
            [T("sample", TensorElementType.Float, "batch_size", 3, "height", "width")],
            [],
            externalInitializers: [new OnnxExternalInitializer("w", [4], "weights.bin", 0)]);
        File.WriteAllBytes(_folder.PathOf(ModelFolder.VaeDecoderPath), graph);
        File.WriteAllBytes(_folder.PathOf("vae_decoder/weights.bin"), new byte[16]);

        Assert.Empty(Problems());
    }

    [Fact]
    public void ProblemsInSeveralFilesAreAllCollected()
    {
        _folder.Delete(ModelFolder.TextEncoder2Path);
        _folder.WriteUnet(timestep: T("timestep", TensorElementType.Bool, 1));
        _folder.Delete("tokenizer/merges.txt");
        _folder.WriteJson("model_index.json", "[1, 2]");

        var ex = Assert.Throws<ModelValidationException>(() => ModelFolder.Load(_folder.Directory));

        Assert.Equal(
            [
                "model_index.json: expected a JSON object, found [1, 2]",
                "tokenizer/merges.txt: file not found (expected CLIP BPE merges)",
                "text_encoder_2/model.onnx: file not found (expected an ONNX model exported like Optimum's SDXL text_encoder_2)",
                "unet/model.onnx: input 'timestep' has element type bool, expected int64, int32, float32 or float16",
            ],
            ex.Problems.Select(p => p.ToString()));
        Assert.Contains("has 4 problems", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingFolderIsOneProblem()
    {
        var missing = Path.Combine(_folder.Directory, "nope");

        var ex = Assert.Throws<ModelValidationException>(() => ModelFolder.Load(missing));

        Assert.Equal($"{missing}: model folder not found", Assert.Single(ex.Problems).ToString());
    }

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
        _folder.WriteFusedUnet();

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
}
