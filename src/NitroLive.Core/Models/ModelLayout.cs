using Microsoft.ML.OnnxRuntime.Tensors;

namespace NitroLive.Core.Models;

/// <summary>A text encoder's inputs and the outputs the pipeline reads, as the ONNX file declares them.</summary>
/// <param name="Graph">The whole declared signature.</param>
/// <param name="InputIdsType">int64 or int32.</param>
/// <param name="SequenceLength">The fixed token count of input_ids, or null when dynamic.</param>
/// <param name="PenultimateHiddenState">The output holding hidden_states[-2] (the second-highest N).</param>
/// <param name="HiddenStateType">float32 or float16.</param>
/// <param name="HiddenSize">The hidden width, when fixed in the file.</param>
/// <param name="PooledOutput">text_embeds for text_encoder_2; null for text_encoder (its pooled output is unused).</param>
/// <param name="PooledType">Element type of <paramref name="PooledOutput"/>.</param>
/// <param name="PooledSize">Width of <paramref name="PooledOutput"/>, when fixed.</param>
public sealed record TextEncoderLayout(
    OnnxGraphSignature Graph,
    TensorElementType InputIdsType,
    long? SequenceLength,
    string PenultimateHiddenState,
    TensorElementType HiddenStateType,
    long? HiddenSize,
    string? PooledOutput,
    TensorElementType PooledType,
    long? PooledSize);

/// <summary>The UNet's declared inputs and output.</summary>
/// <param name="Graph">The whole declared signature.</param>
/// <param name="SampleType">Element type of sample.</param>
/// <param name="TimestepType">Element type of timestep (int64 in Optimum exports).</param>
/// <param name="TimestepRank">0 (scalar) or 1.</param>
/// <param name="TimestepLength">The fixed length of a rank-1 timestep, or null when dynamic.</param>
/// <param name="EncoderHiddenStatesType">Element type of encoder_hidden_states.</param>
/// <param name="TextEmbedsType">Element type of text_embeds.</param>
/// <param name="TimeIdsType">Element type of time_ids.</param>
/// <param name="OutSampleType">Element type of out_sample.</param>
/// <param name="LatentChannels">Latent channels (sample dim 1, else the VAE config).</param>
/// <param name="FixedBatch">The batch size when the file fixes it (1), or null when the batch axis is dynamic.</param>
/// <param name="FixedLatentHeight">The latent height when fixed in the file.</param>
/// <param name="FixedLatentWidth">The latent width when fixed in the file.</param>
public sealed record UnetLayout(
    OnnxGraphSignature Graph,
    TensorElementType SampleType,
    TensorElementType TimestepType,
    int TimestepRank,
    long? TimestepLength,
    TensorElementType EncoderHiddenStatesType,
    TensorElementType TextEmbedsType,
    TensorElementType TimeIdsType,
    TensorElementType OutSampleType,
    int LatentChannels,
    long? FixedBatch,
    long? FixedLatentHeight,
    long? FixedLatentWidth);

/// <summary>A VAE decoder (full or tiny): its declared tensors and its config.</summary>
/// <param name="Folder">vae_decoder or vae_decoder_tiny.</param>
/// <param name="Graph">The whole declared signature.</param>
/// <param name="LatentType">Element type of latent_sample.</param>
/// <param name="OutputType">Element type of sample.</param>
/// <param name="FixedBatch">The batch size when the file fixes it (1), or null when dynamic.</param>
/// <param name="Config">Scaling and output range.</param>
public sealed record VaeDecoderLayout(
    string Folder,
    OnnxGraphSignature Graph,
    TensorElementType LatentType,
    TensorElementType OutputType,
    long? FixedBatch,
    VaeConfig Config);
