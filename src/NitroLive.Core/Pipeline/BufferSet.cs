using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NitroLive.Core.Imaging;
using NitroLive.Core.Models;

namespace NitroLive.Core.Pipeline;

/// <summary>Every UNet and decoder buffer for one (batch, width, height), allocated once and reused for every frame of that shape.</summary>
internal sealed class BufferSet : IDisposable
{
    private readonly HostTensor[] _tensors;

    public BufferSet(ModelFolder folder, VaeDecoderLayout decoder, TextEncoderBuffers text, int batch, int width, int height)
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
        DecoderIn = new HostTensor(decoder.LatentType, [batch, channels, h, w]);
        DecoderOut = new HostTensor(decoder.OutputType, [batch, 3, height, width]);
        _tensors = [Sample, Timestep, EncoderHiddenStates, TextEmbeds, TimeIds, OutSample, DecoderIn, DecoderOut];

        Latents = new float[batch * LatentElementsPerImage];
        Noise = new float[Latents.Length];
        Scratch = new float[Latents.Length];

        UnetInputNames = ["sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"];
        UnetInputs = [Sample.Value, Timestep.Value, EncoderHiddenStates.Value, TextEmbeds.Value, TimeIds.Value];
        UnetOutputNames = ["out_sample"];
        UnetOutputs = [OutSample.Value];
        DecoderInputNames = ["latent_sample"];
        DecoderInputs = [DecoderIn.Value];
        DecoderOutputNames = ["sample"];
        DecoderOutputs = [DecoderOut.Value];
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

    public HostTensor DecoderIn { get; }

    public HostTensor DecoderOut { get; }

    /// <summary>The float32 latents the scheduler steps in place.</summary>
    public float[] Latents { get; }

    public float[] Noise { get; }

    public float[] Scratch { get; }

    public string[] UnetInputNames { get; }

    public OrtValue[] UnetInputs { get; }

    public string[] UnetOutputNames { get; }

    public OrtValue[] UnetOutputs { get; }

    public string[] DecoderInputNames { get; }

    public OrtValue[] DecoderInputs { get; }

    public string[] DecoderOutputNames { get; }

    public OrtValue[] DecoderOutputs { get; }

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

    /// <summary>Decoder output to one interleaved RGB byte array per image (from <paramref name="pool"/> when given; every byte is written).</summary>
    public byte[][] ToRgb(VaeOutputRange range, RgbBufferPool? pool = null)
    {
        var plane = 3 * Width * Height;
        var images = new byte[Batch][];
        for (var i = 0; i < Batch; i++)
        {
            var rgb = pool?.Rent(plane) ?? new byte[plane];
            if (DecoderOut.ElementType == TensorElementType.Float)
            {
                var chw = DecoderOut.As<float>().Slice(i * plane, plane);
                if (range == VaeOutputRange.ZeroToOne)
                {
                    for (var j = 0; j < chw.Length; j++)
                    {
                        chw[j] = (chw[j] * 2f) - 1f;
                    }
                }

                PixelConversion.ToRgb24(chw, Width, Height, rgb);
            }
            else
            {
                var chw = DecoderOut.As<Half>().Slice(i * plane, plane);
                if (range == VaeOutputRange.ZeroToOne)
                {
                    for (var j = 0; j < chw.Length; j++)
                    {
                        chw[j] = (Half)(((float)chw[j] * 2f) - 1f);
                    }
                }

                PixelConversion.ToRgb24(chw, Width, Height, rgb);
            }

            images[i] = rgb;
        }

        return images;
    }

    public void Dispose()
    {
        Device?.Dispose();
        foreach (var tensor in _tensors)
        {
            tensor.Dispose();
        }
    }
}
