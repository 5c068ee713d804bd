using Microsoft.ML.OnnxRuntime;
using NitroLive.Core.Models;

namespace NitroLive.Core.Pipeline;

/// <summary>Every UNet and decoder buffer for one (batch, width, height), allocated once and reused for every frame of that shape.</summary>
internal sealed class BufferSet : IDisposable
{
    private readonly HostTensor[] _tensors;

    // decoders: every decoder the pipeline opened, in DecoderStage.Index order.
    public BufferSet(ModelFolder folder, IReadOnlyList<VaeDecoderLayout> decoders, TextEncoderBuffers text, int batch, int width, int height)
    {
        Batch = batch;
        Width = width;
        Height = height;
        var unet = folder.Unet;
        var f = folder.VaeScaleFactor;
        long channels = unet.LatentChannels, h = height / f, w = width / f;
        LatentElementsPerImage = checked((int)(channels * h * w));

        Sample = new HostTensor(unet.SampleType, [batch, channels, h, w]);
        Timestep = new HostTensor(unet.TimestepType, unet.TimestepRank == 0 ? [] : [unet.TimestepLength ?? 1]);
        EncoderHiddenStates = new HostTensor(unet.EncoderHiddenStatesType, [batch, text.Tokens, text.HiddenWidth]);
        TextEmbeds = new HostTensor(unet.TextEmbedsType, [batch, text.PooledWidth]);
        TimeIds = new HostTensor(unet.TimeIdsType, [batch, 6]);
        OutSample = new HostTensor(unet.OutSampleType, [batch, channels, h, w]);
        Decoders = [.. decoders.Select(d => new DecoderBuffers(d, batch, channels, width, height, f))];
        _tensors = [Sample, Timestep, EncoderHiddenStates, TextEmbeds, TimeIds, OutSample];

        Latents = new float[batch * LatentElementsPerImage];
        Noise = new float[Latents.Length];
        Scratch = new float[Latents.Length];

        UnetInputNames = ["sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"];
        UnetInputs = [Sample.Value, Timestep.Value, EncoderHiddenStates.Value, TextEmbeds.Value, TimeIds.Value];
        UnetOutputNames = ["out_sample"];
        UnetOutputs = [OutSample.Value];
    }

    public int Batch { get; }

    /// <summary>The device-resident loop's buffers, when the pipeline keeps latents on the device.</summary>
    public DeviceLatents? Device { get; set; }

    public int Width { get; }

    public int Height { get; }

    public int LatentElementsPerImage { get; }

    public HostTensor Sample { get; }

    public HostTensor Timestep { get; }

    public HostTensor EncoderHiddenStates { get; }

    public HostTensor TextEmbeds { get; }

    public HostTensor TimeIds { get; }

    public HostTensor OutSample { get; }

    /// <summary>Each decoder's buffers, by <see cref="DecoderStage.Index"/>.</summary>
    public DecoderBuffers[] Decoders { get; }

    /// <summary>The float32 latents the scheduler steps in place.</summary>
    public float[] Latents { get; }

    public float[] Noise { get; }

    public float[] Scratch { get; }

    public string[] UnetInputNames { get; }

    public OrtValue[] UnetInputs { get; }

    public string[] UnetOutputNames { get; }

    public OrtValue[] UnetOutputs { get; }

    /// <summary>The shape of every tensor bound to the UNet, by input or output name.</summary>
    public IReadOnlyDictionary<string, long[]> UnetShapes() => new Dictionary<string, long[]>(StringComparer.Ordinal)
    {
        ["sample"] = Sample.Shape,
        ["timestep"] = Timestep.Shape,
        ["encoder_hidden_states"] = EncoderHiddenStates.Shape,
        ["text_embeds"] = TextEmbeds.Shape,
        ["time_ids"] = TimeIds.Shape,
        ["out_sample"] = OutSample.Shape,
    };

    public void SetConditioning(IReadOnlyList<PromptEmbedding> embeddings, int width, int height)
    {
        Span<float> timeIds = [height, width, 0, 0, height, width]; // original size, crop top-left, target size
        for (var i = 0; i < embeddings.Count; i++)
        {
            var e = embeddings[i];
            EncoderHiddenStates.WriteFloats(i * e.Hidden.Length, e.Hidden);
            TextEmbeds.WriteFloats(i * e.Pooled.Length, e.Pooled);
            TimeIds.WriteFloats(i * 6, timeIds);
        }
    }

    public void Dispose()
    {
        Device?.Dispose();
        foreach (var tensor in _tensors)
        {
            tensor.Dispose();
        }

        foreach (var decoder in Decoders)
        {
            decoder.Dispose();
        }
    }
}
