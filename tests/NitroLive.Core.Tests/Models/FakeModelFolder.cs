using Microsoft.ML.OnnxRuntime.Tensors;
using NitroLive.Core.Models;

namespace NitroLive.Core.Tests.Models;

/// <summary>
/// A model folder in a temp directory that follows the contract in every file (ONNX files declare the right tensors but
/// hold no weights), for validation tests to break one thing at a time.
/// </summary>
internal sealed class FakeModelFolder : IDisposable
{
    public const int Te1Width = 64;
    public const int Te2Width = 96;
    public const int PooledWidth = 32;

    public FakeModelFolder()
    {
        Directory = Path.Combine(Path.GetTempPath(), "nitrolive-fake-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        WriteJson("model_index.json", """{"_class_name": "StableDiffusionXLPipeline"}""");
        WriteJson("scheduler/scheduler_config.json", """{"_class_name": "EulerDiscreteScheduler", "num_train_timesteps": 1000}""");
        foreach (var tokenizer in new[] { "tokenizer", "tokenizer_2" })
        {
            WriteJson($"{tokenizer}/vocab.json", ByteLevelVocabulary());
            WriteText($"{tokenizer}/merges.txt", "#version: 0.2\na b</w>\n");
            WriteJson($"{tokenizer}/special_tokens_map.json", """{"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>"}""");
            WriteJson($"{tokenizer}/tokenizer_config.json", """{"model_max_length": 77}""");
        }

        WriteTextEncoder(ModelFolder.TextEncoderPath, Te1Width, pooled: ("pooler_output", Te1Width), first: false, layers: 3);
        WriteTextEncoder(ModelFolder.TextEncoder2Path, Te2Width, pooled: ("text_embeds", PooledWidth), first: true, layers: 3);
        WriteUnet();
        WriteGraph(ModelFolder.VaeDecoderPath,
            [T("latent_sample", TensorElementType.Float, "batch_size", 4, "height", "width")],
            [T("sample", TensorElementType.Float, "batch_size", 3, "height", "width")]);
        WriteJson("vae_decoder/config.json", """
            {"_class_name": "AutoencoderKL", "block_out_channels": [32, 64, 64], "latent_channels": 4,
             "scaling_factor": 0.5, "force_upcast": false}
            """);
        WriteManifest(embeddedDemo: true);
    }

    /// <summary>nitrolive.json, as the embedded demo model's (true) or as an exported real model's (false).</summary>
    public void WriteManifest(bool embeddedDemo) => WriteJson("nitrolive.json", $$"""
        {"display_name": "Fake", "variant": "tiny", "family": "nitro-tiny", "shifted_timestep": 250,
         "original_inference_steps": 4, "native_width": 128, "native_height": 128, "supported_steps": [1, 2, 3, 4],
         "sizes": [[128, 128], [64, 128]], "embedded_demo": {{(embeddedDemo ? "true" : "false")}}, "license": "MIT"}
        """);

    public string Directory { get; }

    /// <summary>A minimal byte-level CLIP vocabulary: every byte symbol alone and with "&lt;/w&gt;", one merge, the two specials.</summary>
    private static string ByteLevelVocabulary()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 0xAC - 0xA1 + 1)).Concat(Enumerable.Range(0xAE, 0xFF - 0xAE + 1)).ToList();
        var symbols = new Dictionary<int, char>();
        var extra = 0;
        for (var b = 0; b < 256; b++)
        {
            symbols[b] = printable.Contains(b) ? (char)b : (char)(256 + extra++);
        }

        var vocab = new Dictionary<string, int>();
        foreach (var c in symbols.OrderBy(kv => kv.Key).Select(kv => kv.Value.ToString()))
        {
            vocab[c] = vocab.Count;
        }

        foreach (var c in symbols.OrderBy(kv => kv.Key).Select(kv => kv.Value + "</w>"))
        {
            vocab[c] = vocab.Count;
        }

        vocab["ab</w>"] = vocab.Count;
        vocab["<|startoftext|>"] = vocab.Count;
        vocab["<|endoftext|>"] = vocab.Count;
        return System.Text.Json.JsonSerializer.Serialize(vocab);
    }

    public static OnnxTensorInfo T(string name, TensorElementType type, params object[] dims) =>
        new(name, type, [.. dims.Select(d => d is string s ? new TensorDimension(null, s) : new TensorDimension(Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture), null))]);

    public string PathOf(string relative) => Path.Combine(Directory, relative);

    public void WriteGraph(string relative, IEnumerable<OnnxTensorInfo> inputs, IEnumerable<OnnxTensorInfo> outputs,
        IEnumerable<OnnxExternalInitializer>? externalInitializers = null, IEnumerable<OnnxNodeSpec>? nodes = null,
        IEnumerable<OnnxInlineInitializer>? initializers = null)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(PathOf(relative))!);
        File.WriteAllBytes(PathOf(relative), OnnxModelWriter.Build(
            inputs, outputs, nodes ?? [], externalInitializers: externalInitializers, initializers: initializers));
    }

    public void WriteTextEncoder(string relative, int width, (string Name, int Width) pooled, bool first, int layers,
        TensorElementType idsType = TensorElementType.Int64)
    {
        var outputs = new List<OnnxTensorInfo>();
        var pooledInfo = T(pooled.Name, TensorElementType.Float, "batch_size", pooled.Width);
        var last = T("last_hidden_state", TensorElementType.Float, "batch_size", 77, width);
        outputs.AddRange(first ? [pooledInfo, last] : [last, pooledInfo]);
        for (var i = 0; i <= layers; i++)
        {
            outputs.Add(T($"hidden_states.{i}", TensorElementType.Float, "batch_size", 77, width));
        }

        WriteGraph(relative, [T("input_ids", idsType, "batch_size", 77)], outputs);
    }

    public void WriteUnet(
        OnnxTensorInfo? sample = null, OnnxTensorInfo? timestep = null, OnnxTensorInfo? encoderHiddenStates = null,
        OnnxTensorInfo? textEmbeds = null, OnnxTensorInfo? timeIds = null, IEnumerable<OnnxNodeSpec>? nodes = null,
        IEnumerable<OnnxInlineInitializer>? initializers = null) =>
        WriteGraph(ModelFolder.UnetPath,
            [
                sample ?? T("sample", TensorElementType.Float, "batch_size", 4, "height", "width"),
                timestep ?? T("timestep", TensorElementType.Int64, "steps"),
                encoderHiddenStates ?? T("encoder_hidden_states", TensorElementType.Float, "batch_size", 77, Te1Width + Te2Width),
                textEmbeds ?? T("text_embeds", TensorElementType.Float, "batch_size", PooledWidth),
                timeIds ?? T("time_ids", TensorElementType.Float, "batch_size", 6),
            ],
            [T("out_sample", TensorElementType.Float, "batch_size", 4, "height", "width")],
            nodes: nodes, initializers: initializers);

    /// <summary>A UNet holding one of ONNX Runtime's CUDA-only fused operators, as its diffusion fusions write them.</summary>
    public void WriteFusedUnet()
    {
        var gamma = new OnnxInlineInitializer("gamma", TensorElementType.Float, [4], new byte[16]);
        WriteUnet(
            nodes: [new OnnxNodeSpec("GroupNorm", ["sample", "gamma", "beta"], ["out_sample"],
                new Dictionary<string, long> { ["groups"] = 1, ["activation"] = 0 }, Domain: "com.microsoft")],
            initializers: [gamma, gamma with { Name = "beta" }]);
    }

    public void WriteJson(string relative, string json) => WriteText(relative, json);

    public void WriteText(string relative, string text)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(PathOf(relative))!);
        File.WriteAllText(PathOf(relative), text);
    }

    public void Delete(string relative) => File.Delete(PathOf(relative));

    public void Truncate(string relative, double keep = 0.5)
    {
        var bytes = File.ReadAllBytes(PathOf(relative));
        File.WriteAllBytes(PathOf(relative), bytes[..(int)(bytes.Length * keep)]);
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
