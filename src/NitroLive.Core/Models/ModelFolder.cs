using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace NitroLive.Core.Models;

/// <summary>One file in a model folder.</summary>
/// <param name="RelativePath">Path relative to the folder, '/' separated.</param>
/// <param name="Bytes">Size in bytes.</param>
public sealed record ModelFile(string RelativePath, long Bytes);

/// <summary>Everything <see cref="ModelFolder.Inspect"/> found, problems included; never throws for bad content.</summary>
/// <param name="Directory">The folder inspected (full path).</param>
/// <param name="Files">Every file below the folder with its size.</param>
/// <param name="Graphs">The ONNX signatures that could be read, keyed by relative path.</param>
/// <param name="Problems">Everything wrong; empty for a valid folder.</param>
/// <param name="Folder">The validated folder when there are no problems.</param>
public sealed record ModelInspection(
    string Directory,
    IReadOnlyList<ModelFile> Files,
    IReadOnlyDictionary<string, OnnxGraphSignature> Graphs,
    IReadOnlyList<ModelProblem> Problems,
    ModelFolder? Folder);

/// <summary>
/// A model folder laid out like Optimum's SDXL ONNX export plus <c>nitrolive.json</c>, checked up front: every file,
/// tensor name, rank and element type, and every config value the pipeline reads. Nothing is assumed that the files state.
/// </summary>
public sealed partial class ModelFolder
{
    /// <summary>Relative path of NitroLive's model manifest; its presence makes a folder a model folder.</summary>
    public const string ManifestPath = "nitrolive.json";

    /// <summary>The longest example prompt a manifest may name (a suggestion a person reads at a glance).</summary>
    public const int MaxExamplePromptLength = 300;

    /// <summary>
    /// The largest width or height a model folder may offer and a generation may ask for: 4096 keeps the bytes of a batch
    /// of four decoded images as floats (805 MB) within what one host tensor's int length addresses (2^31).
    /// </summary>
    public const int MaxImageSide = 4096;

    /// <summary>The most words a manifest's vocabulary may list (it is meant for small demo models).</summary>
    public const int MaxVocabularySize = 10_000;

    /// <summary>Relative path of the diffusers pipeline index.</summary>
    public const string ModelIndexPath = "model_index.json";

    /// <summary>Relative path of the first text encoder.</summary>
    public const string TextEncoderPath = "text_encoder/model.onnx";

    /// <summary>Relative path of the second text encoder.</summary>
    public const string TextEncoder2Path = "text_encoder_2/model.onnx";

    /// <summary>Relative path of the UNet.</summary>
    public const string UnetPath = "unet/model.onnx";

    /// <summary>Relative path of the VAE decoder.</summary>
    public const string VaeDecoderPath = "vae_decoder/model.onnx";

    /// <summary>Relative path of the optional tiny (TAESD-style) decoder.</summary>
    public const string VaeDecoderTinyPath = "vae_decoder_tiny/model.onnx";

    /// <summary>Relative path of the optional VAE encoder.</summary>
    public const string VaeEncoderPath = "vae_encoder/model.onnx";

    private ModelFolder(
        string directory,
        ModelManifest manifest,
        TextEncoderLayout textEncoder,
        TextEncoderLayout textEncoder2,
        UnetLayout unet,
        VaeDecoderLayout vaeDecoder,
        VaeDecoderLayout? vaeDecoderTiny)
    {
        Directory = directory;
        Manifest = manifest;
        TextEncoder = textEncoder;
        TextEncoder2 = textEncoder2;
        Unet = unet;
        VaeDecoder = vaeDecoder;
        VaeDecoderTiny = vaeDecoderTiny;
    }

    /// <summary>The folder (full path).</summary>
    public string Directory { get; }

    /// <summary>nitrolive.json.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>text_encoder (CLIP-L in SDXL).</summary>
    public TextEncoderLayout TextEncoder { get; }

    /// <summary>text_encoder_2 (OpenCLIP-bigG in SDXL).</summary>
    public TextEncoderLayout TextEncoder2 { get; }

    /// <summary>The UNet.</summary>
    public UnetLayout Unet { get; }

    /// <summary>The full VAE decoder.</summary>
    public VaeDecoderLayout VaeDecoder { get; }

    /// <summary>The tiny decoder, when the folder has one.</summary>
    public VaeDecoderLayout? VaeDecoderTiny { get; }

    /// <summary>Pixels per latent cell.</summary>
    public int VaeScaleFactor => VaeDecoder.Config.ScaleFactor;

    /// <summary>Full path of a file given relative to the folder.</summary>
    public string PathOf(string relativePath) => Path.Combine(Directory, relativePath.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Loads and validates a model folder.</summary>
    /// <exception cref="ModelValidationException">Listing every problem found, across all files.</exception>
    public static ModelFolder Load(string directory)
    {
        var inspection = Inspect(directory);
        return inspection.Folder ?? throw new ModelValidationException(inspection.Directory, inspection.Problems);
    }

    /// <summary>Checks a model folder and reports everything found and everything wrong.</summary>
    public static ModelInspection Inspect(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return new Validator(Path.GetFullPath(directory)).Run();
    }

    [GeneratedRegex(@"^hidden_states\.(\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex HiddenStateName();

    private sealed partial class Validator(string directory)
    {
        private static readonly TensorElementType[] FloatTypes = [TensorElementType.Float, TensorElementType.Float16];
        private static readonly TensorElementType[] IdTypes = [TensorElementType.Int64, TensorElementType.Int32];
        private static readonly TensorElementType[] TimestepTypes =
            [TensorElementType.Int64, TensorElementType.Int32, TensorElementType.Float, TensorElementType.Float16];

        private readonly List<ModelProblem> _problems = [];
        private readonly Dictionary<string, OnnxGraphSignature> _graphs = new(StringComparer.Ordinal);

        public ModelInspection Run()
        {
            if (!System.IO.Directory.Exists(directory))
            {
                _problems.Add(new ModelProblem(directory, null, "model folder not found"));
                return new ModelInspection(directory, [], _graphs, _problems, null);
            }

            var files = ListFiles();
            RequireJsonObject(ModelIndexPath, "the diffusers pipeline index");
            RequireJsonObject("scheduler/scheduler_config.json", "the diffusers scheduler config (SDXL's, read by the LCM scheduler)");
            foreach (var tokenizer in new[] { "tokenizer", "tokenizer_2" })
            {
                RequireJsonObject($"{tokenizer}/vocab.json", "a CLIP BPE vocabulary");
                RequireFile($"{tokenizer}/merges.txt", "CLIP BPE merges");
                RequireJsonObject($"{tokenizer}/special_tokens_map.json", "the tokenizer's special tokens");
                RequireJsonObject($"{tokenizer}/tokenizer_config.json", "the tokenizer config");
            }

            var te1 = CheckTextEncoder(TextEncoderPath, "text_encoder", pooledOutput: null);
            var te2 = CheckTextEncoder(TextEncoder2Path, "text_encoder_2", pooledOutput: "text_embeds");
            var vaeConfig = ReadVaeConfig("vae_decoder/config.json", required: true, fallback: null, out _);
            var vae = CheckDecoder(VaeDecoderPath, "vae_decoder", vaeConfig, "vae_decoder/config.json", required: true);
            VaeDecoderLayout? tiny = null;
            if (File.Exists(Full(VaeDecoderTinyPath)) || System.IO.Directory.Exists(Full("vae_decoder_tiny")))
            {
                var tinyConfig = ReadVaeConfig("vae_decoder_tiny/config.json", required: false, fallback: vaeConfig, out var ownChannels);
                // A tiny decoder's config may leave latent_channels to vae_decoder's: a mismatch names the file that said it.
                var channelsFrom = ownChannels ? "vae_decoder_tiny/config.json" : "vae_decoder/config.json";
                tiny = CheckDecoder(VaeDecoderTinyPath, "vae_decoder_tiny", tinyConfig, channelsFrom, required: true);
                if (tinyConfig is not null && vaeConfig is not null && tinyConfig.ScaleFactor != vaeConfig.ScaleFactor)
                {
                    Problem("vae_decoder_tiny/config.json", null,
                        $"scale factor {tinyConfig.ScaleFactor} differs from vae_decoder's {vaeConfig.ScaleFactor}; both must decode the same latents");
                }
            }

            if (File.Exists(Full(VaeEncoderPath)))
            {
                var encoder = ReadGraph(VaeEncoderPath, "an ONNX model exported like Optimum's SDXL vae_encoder", required: false);
                if (encoder is not null)
                {
                    RequireTensor(VaeEncoderPath, encoder, isInput: true, "sample", FloatTypes, 4, "[batch, 3, height, width]");
                    RequireTensor(VaeEncoderPath, encoder, isInput: false, "latent_sample", FloatTypes, 4, "[batch, channels, height/f, width/f]");
                }
            }

            var unet = CheckUnet(te1, te2, vae, vaeConfig);
            var manifest = ReadManifest(vaeConfig?.ScaleFactor);

            ModelFolder? folder = null;
            if (_problems.Count == 0 && te1 is not null && te2 is not null && unet is not null && vae is not null && manifest is not null)
            {
                folder = new ModelFolder(directory, manifest, te1, te2, unet, vae, tiny);
            }

            return new ModelInspection(directory, files, _graphs, _problems, folder);
        }

        private List<ModelFile> ListFiles() =>
            [.. System.IO.Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
                .Select(f => new ModelFile(Path.GetRelativePath(directory, f).Replace(Path.DirectorySeparatorChar, '/'), new FileInfo(f).Length))
                .OrderBy(f => f.RelativePath, StringComparer.Ordinal)];

        private string Full(string relative) => Path.Combine(directory, relative.Replace('/', Path.DirectorySeparatorChar));

        private void Problem(string file, string? tensor, string message) => _problems.Add(new ModelProblem(file, tensor, message));

        private bool RequireFile(string relative, string expected)
        {
            if (File.Exists(Full(relative)))
            {
                return true;
            }

            Problem(relative, null, $"file not found (expected {expected})");
            return false;
        }

        private JsonElement? RequireJsonObject(string relative, string expected, bool required = true)
        {
            if (!File.Exists(Full(relative)))
            {
                if (required)
                {
                    Problem(relative, null, $"file not found (expected {expected})");
                }

                return null;
            }

            try
            {
                using var stream = File.OpenRead(Full(relative));
                using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    Problem(relative, null, $"expected a JSON object, found {Describe(document.RootElement)}");
                    return null;
                }

                return document.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                Problem(relative, null, $"not valid JSON ({ex.Message})");
                return null;
            }
        }

        private OnnxGraphSignature? ReadGraph(string relative, string expected, bool required)
        {
            if (!File.Exists(Full(relative)))
            {
                if (required)
                {
                    Problem(relative, null, $"file not found (expected {expected})");
                }

                return null;
            }

            OnnxGraphSignature graph;
            try
            {
                graph = OnnxGraphReader.Read(Full(relative));
            }
            catch (Exception ex) when (ex is OnnxFormatException or EndOfStreamException or IOException)
            {
                Problem(relative, null, "file is truncated or not an ONNX model (protobuf parse failed)");
                return null;
            }

            _graphs[relative] = graph;
            var folder = Path.GetDirectoryName(Full(relative))!;
            foreach (var (location, needed) in graph.ExternalData)
            {
                var dataPath = Path.Combine(folder, location);
                var dataRelative = Path.GetRelativePath(directory, dataPath).Replace(Path.DirectorySeparatorChar, '/');
                if (!File.Exists(dataPath))
                {
                    Problem(relative, null, $"external weights file '{location}' not found beside it (expected {dataRelative})");
                }
                else if (new FileInfo(dataPath).Length < needed)
                {
                    Problem(dataRelative, null,
                        $"file is truncated (holds {new FileInfo(dataPath).Length} bytes, the initializers of {relative} need at least {needed})");
                }
            }

            return graph;
        }

        private OnnxTensorInfo? RequireTensor(
            string file, OnnxGraphSignature graph, bool isInput, string name, TensorElementType[] types, int rank, string shapeMeaning)
        {
            var kind = isInput ? "input" : "output";
            var tensor = isInput ? graph.Input(name) : graph.Output(name);
            if (tensor is null)
            {
                var present = isInput ? graph.Inputs : graph.Outputs;
                Problem(file, name,
                    $"{kind} '{name}' not found (found {kind}s: {(present.Count == 0 ? "none" : string.Join(", ", present.Select(t => t.Name)))})");
                return null;
            }

            var ok = true;
            if (!types.Contains(tensor.ElementType))
            {
                Problem(file, name, $"{kind} '{name}' has element type {tensor.ElementTypeName}, expected {JoinOr(types.Select(OnnxElementTypes.Name))}");
                ok = false;
            }

            if (tensor.Rank != rank)
            {
                var found = tensor.Shape is null ? "no declared shape" : $"rank {tensor.Rank} [{string.Join(", ", tensor.Shape)}]";
                Problem(file, name, $"{kind} '{name}' has {found}, expected rank {rank} {shapeMeaning}");
                ok = false;
            }

            return ok ? tensor : null;
        }

        private void RejectExtraInputs(string file, OnnxGraphSignature graph, params string[] fed)
        {
            foreach (var input in graph.Inputs.Where(i => !fed.Contains(i.Name)))
            {
                Problem(file, input.Name, $"input '{input.Name}' is not one the pipeline feeds (expected only: {string.Join(", ", fed)})");
            }
        }

        private TextEncoderLayout? CheckTextEncoder(string file, string folder, string? pooledOutput)
        {
            var graph = ReadGraph(file, $"an ONNX model exported like Optimum's SDXL {folder}", required: true);
            if (graph is null)
            {
                return null;
            }

            var ids = RequireTensor(file, graph, isInput: true, "input_ids", IdTypes, 2, "[batch, tokens]");
            RejectExtraInputs(file, graph, "input_ids");

            var hidden = graph.Outputs
                .Select(o => (Output: o, Match: HiddenStateName().Match(o.Name)))
                .Where(x => x.Match.Success)
                .Select(x => (x.Output, Index: int.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture)))
                .OrderByDescending(x => x.Index)
                .ToList();
            OnnxTensorInfo? penultimate = null;
            if (hidden.Count < 2)
            {
                Problem(file, "hidden_states",
                    $"found {hidden.Count} 'hidden_states.N' output{(hidden.Count == 1 ? "" : "s")}, expected at least 2 (the pipeline uses the penultimate layer, hidden_states[-2])");
            }
            else
            {
                penultimate = RequireTensor(file, graph, isInput: false, hidden[1].Output.Name, FloatTypes, 3, "[batch, tokens, hidden]");
            }

            OnnxTensorInfo? pooled = null;
            if (pooledOutput is not null)
            {
                pooled = RequireTensor(file, graph, isInput: false, pooledOutput, FloatTypes, 2, "[batch, projection]");
            }

            if (ids is null || penultimate is null || (pooledOutput is not null && pooled is null))
            {
                return null;
            }

            if (penultimate.FixedDim(1) is { } tokens && ids.FixedDim(1) is { } idTokens && tokens != idTokens)
            {
                Problem(file, penultimate.Name, $"output '{penultimate.Name}' has {tokens} tokens but input 'input_ids' has {idTokens}");
                return null;
            }

            return new TextEncoderLayout(graph, ids.ElementType, ids.FixedDim(1), penultimate.Name, penultimate.ElementType,
                penultimate.FixedDim(2), pooledOutput, pooled?.ElementType ?? TensorElementType.Float, pooled?.FixedDim(1));
        }

        private VaeDecoderLayout? CheckDecoder(string file, string folder, VaeConfig? config, string channelsFrom, bool required)
        {
            var graph = ReadGraph(file, $"an ONNX model exported like Optimum's SDXL {folder}", required);
            if (graph is null)
            {
                return null;
            }

            var latent = RequireTensor(file, graph, isInput: true, "latent_sample", FloatTypes, 4, "[batch, channels, height/f, width/f]");
            var sample = RequireTensor(file, graph, isInput: false, "sample", FloatTypes, 4, "[batch, 3, height, width]");
            RejectExtraInputs(file, graph, "latent_sample");
            if (sample?.FixedDim(1) is { } channels && channels != 3)
            {
                Problem(file, "sample", $"output 'sample' has {channels} channels, expected 3 (RGB)");
                return null;
            }

            if (latent?.FixedDim(1) is { } latentChannels && config?.LatentChannels is { } configured && latentChannels != configured)
            {
                Problem(file, "latent_sample", $"input 'latent_sample' has {latentChannels} channels but {channelsFrom} says latent_channels {configured}");
                return null;
            }

            var batch = CheckBatch(file, latent);
            if (latent is null || sample is null || config is null || batch is false)
            {
                return null;
            }

            return new VaeDecoderLayout(folder, graph, latent.ElementType, sample.ElementType, latent.FixedDim(0), config);
        }

        private bool? CheckBatch(string file, OnnxTensorInfo? tensor)
        {
            if (tensor?.FixedDim(0) is { } batch && batch != 1)
            {
                Problem(file, tensor.Name, $"input '{tensor.Name}' has a batch axis fixed to {batch}, expected a dynamic batch axis or 1");
                return false;
            }

            return true;
        }

        private UnetLayout? CheckUnet(TextEncoderLayout? te1, TextEncoderLayout? te2, VaeDecoderLayout? vae, VaeConfig? vaeConfig)
        {
            const string file = UnetPath;
            var graph = ReadGraph(file, "an ONNX model exported like Optimum's SDXL unet", required: true);
            if (graph is null)
            {
                return null;
            }

            var sample = RequireTensor(file, graph, isInput: true, "sample", FloatTypes, 4, "[batch, channels, height/f, width/f]");
            var timestep = graph.Input("timestep");
            if (timestep is null)
            {
                RequireTensor(file, graph, isInput: true, "timestep", TimestepTypes, 1, "[1]");
            }
            else
            {
                if (!TimestepTypes.Contains(timestep.ElementType))
                {
                    Problem(file, "timestep", $"input 'timestep' has element type {timestep.ElementTypeName}, expected {JoinOr(TimestepTypes.Select(OnnxElementTypes.Name))}");
                    timestep = null;
                }
                else if (timestep.Rank is not (0 or 1))
                {
                    var found = timestep.Shape is null ? "no declared shape" : $"rank {timestep.Rank} [{string.Join(", ", timestep.Shape)}]";
                    Problem(file, "timestep", $"input 'timestep' has {found}, expected rank 1 [1] or a scalar");
                    timestep = null;
                }
            }

            var ehs = RequireTensor(file, graph, isInput: true, "encoder_hidden_states", FloatTypes, 3, "[batch, tokens, hidden]");
            var textEmbeds = RequireTensor(file, graph, isInput: true, "text_embeds", FloatTypes, 2, "[batch, projection]");
            var timeIds = RequireTensor(file, graph, isInput: true, "time_ids", FloatTypes, 2, "[batch, 6]");
            var outSample = RequireTensor(file, graph, isInput: false, "out_sample", FloatTypes, 4, "[batch, channels, height/f, width/f]");
            RejectExtraInputs(file, graph, "sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids");
            var batchOk = CheckBatch(file, sample) is true;

            if (timeIds?.FixedDim(1) is { } idCount && idCount != 6)
            {
                Problem(file, "time_ids", $"input 'time_ids' has {idCount} values per image, expected 6 [h, w, crop_top, crop_left, h, w]");
                timeIds = null;
            }

            if (ehs?.FixedDim(2) is { } width && te1?.HiddenSize is { } d1 && te2?.HiddenSize is { } d2 && width != d1 + d2)
            {
                Problem(file, "encoder_hidden_states",
                    $"input 'encoder_hidden_states' has width {width}, but text_encoder's hidden size {d1} + text_encoder_2's {d2} = {d1 + d2}");
                ehs = null;
            }

            if (ehs?.FixedDim(1) is { } tokens && te1?.SequenceLength is { } t1 && tokens != t1)
            {
                Problem(file, "encoder_hidden_states", $"input 'encoder_hidden_states' has {tokens} tokens, but text_encoder takes {t1}");
                ehs = null;
            }

            if (textEmbeds?.FixedDim(1) is { } pooledWidth && te2?.PooledSize is { } p && pooledWidth != p)
            {
                Problem(file, "text_embeds", $"input 'text_embeds' has width {pooledWidth}, but text_encoder_2's 'text_embeds' output has {p}");
                textEmbeds = null;
            }

            int? channels = null;
            var sampleChannels = sample?.FixedDim(1);
            var vaeChannels = vae?.Graph.Input("latent_sample")?.FixedDim(1) ?? vaeConfig?.LatentChannels;
            if (sampleChannels is { } sc && vaeChannels is { } vc && sc != vc)
            {
                Problem(file, "sample", $"input 'sample' has {sc} channels, but the VAE decoder takes {vc} latent channels");
            }
            else
            {
                channels = (int?)(sampleChannels ?? vaeChannels);
                if (channels is null && sample is not null)
                {
                    Problem(file, "sample", "the latent channel count is declared nowhere: input 'sample' dim 1 is dynamic and vae_decoder/config.json has no latent_channels");
                }
            }

            if (outSample?.FixedDim(1) is { } oc && channels is { } c && oc != c)
            {
                Problem(file, "out_sample", $"output 'out_sample' has {oc} channels, expected {c} like 'sample'");
                outSample = null;
            }

            if (sample is null || timestep is null || ehs is null || textEmbeds is null || timeIds is null || outSample is null
                || channels is null || !batchOk)
            {
                return null;
            }

            return new UnetLayout(graph, sample.ElementType, timestep.ElementType, timestep.Rank,
                timestep.Rank == 1 ? timestep.FixedDim(0) : null, ehs.ElementType, textEmbeds.ElementType, timeIds.ElementType,
                outSample.ElementType, channels.Value, sample.FixedDim(0), sample.FixedDim(2), sample.FixedDim(3));
        }

        // ownLatentChannels: whether this file states latent_channels itself (else they come from the fallback, if any).
        private VaeConfig? ReadVaeConfig(string relative, bool required, VaeConfig? fallback, out bool ownLatentChannels)
        {
            ownLatentChannels = false;
            var root = RequireJsonObject(relative, "the diffusers VAE config with scaling_factor and block_out_channels", required);
            if (root is not { } json)
            {
                // A tiny decoder without config: TAESD decodes the UNet's latents as they are (no scaling factor).
                return required || fallback is null ? null : fallback with { ScalingFactor = 1.0, ShiftFactor = 0, ForceUpcast = false, OutputRange = VaeOutputRange.MinusOneToOne };
            }

            var ok = true;
            double scaling = 1.0;
            if (json.TryGetProperty("scaling_factor", out var sf))
            {
                if (sf.ValueKind != JsonValueKind.Number || !sf.TryGetDouble(out scaling) || !(scaling > 0) || !double.IsFinite(scaling))
                {
                    Problem(relative, null, $"'scaling_factor' must be a positive number, found {Describe(sf)}");
                    ok = false;
                }
            }
            else if (fallback is null)
            {
                Problem(relative, null, "'scaling_factor' is missing, expected a positive number (0.13025 for SDXL's VAE)");
                ok = false;
            }

            double shift = 0;
            if (json.TryGetProperty("shift_factor", out var shf) && shf.ValueKind != JsonValueKind.Null
                && (shf.ValueKind != JsonValueKind.Number || !shf.TryGetDouble(out shift)))
            {
                Problem(relative, null, $"'shift_factor' must be a number or null, found {Describe(shf)}");
                ok = false;
            }

            // AutoencoderTiny states its upsampling in decoder_block_out_channels; AutoencoderKL in block_out_channels.
            int? scaleFactor = fallback?.ScaleFactor;
            var blocksKey = json.TryGetProperty("block_out_channels", out _) || !json.TryGetProperty("decoder_block_out_channels", out _)
                ? "block_out_channels" : "decoder_block_out_channels";
            if (json.TryGetProperty(blocksKey, out var blocks))
            {
                if (blocks.ValueKind != JsonValueKind.Array || blocks.GetArrayLength() is < 1 or > 8
                    || blocks.EnumerateArray().Any(b => b.ValueKind != JsonValueKind.Number || !b.TryGetInt32(out var v) || v <= 0))
                {
                    Problem(relative, null, $"'{blocksKey}' must be a non-empty array of positive integers, found {Describe(blocks)}");
                    ok = false;
                }
                else
                {
                    scaleFactor = 1 << (blocks.GetArrayLength() - 1);
                }
            }
            else if (fallback is null)
            {
                Problem(relative, null, $"'{blocksKey}' is missing, expected the decoder's block widths (the scale factor is 2^(count-1))");
                ok = false;
            }

            int? latentChannels = fallback?.LatentChannels;
            if (json.TryGetProperty("latent_channels", out var lc))
            {
                ownLatentChannels = true;
                if (lc.ValueKind != JsonValueKind.Number || !lc.TryGetInt32(out var channels) || channels <= 0)
                {
                    Problem(relative, null, $"'latent_channels' must be a positive integer, found {Describe(lc)}");
                    ok = false;
                }
                else
                {
                    latentChannels = channels;
                }
            }

            var forceUpcast = false;
            if (json.TryGetProperty("force_upcast", out var fu) && fu.ValueKind != JsonValueKind.Null)
            {
                if (fu.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    Problem(relative, null, $"'force_upcast' must be true or false, found {Describe(fu)}");
                    ok = false;
                }
                else
                {
                    forceUpcast = fu.GetBoolean();
                }
            }

            var range = VaeOutputRange.MinusOneToOne;
            if (json.TryGetProperty("output_range", out var or))
            {
                var values = or.ValueKind == JsonValueKind.Array && or.GetArrayLength() == 2
                    && or[0].TryGetDouble(out var lo) && or[1].TryGetDouble(out var hi) ? (lo, hi) : ((double, double)?)null;
                if (values == (-1.0, 1.0))
                {
                    range = VaeOutputRange.MinusOneToOne;
                }
                else if (values == (0.0, 1.0))
                {
                    range = VaeOutputRange.ZeroToOne;
                }
                else
                {
                    Problem(relative, null, $"'output_range' must be [-1, 1] or [0, 1], found {Describe(or)}");
                    ok = false;
                }
            }

            return ok && scaleFactor is { } f ? new VaeConfig(scaling, shift, f, latentChannels, forceUpcast, range) : null;
        }

        private static string Describe(JsonElement value)
        {
            var text = value.ValueKind switch
            {
                JsonValueKind.Undefined => "nothing",
                JsonValueKind.Object => "an object",
                _ => value.GetRawText(),
            };
            return text.Length > 60 ? text[..57] + "..." : text;
        }

        private static string JoinOr(IEnumerable<string> items)
        {
            var list = items.ToList();
            return list.Count <= 1 ? string.Concat(list) : string.Join(", ", list.Take(list.Count - 1)) + " or " + list[^1];
        }
    }
}
