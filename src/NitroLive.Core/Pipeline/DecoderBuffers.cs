using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NitroLive.Core.Imaging;
using NitroLive.Core.Models;

namespace NitroLive.Core.Pipeline;

/// <summary>One VAE decoder's input latents and output pixels for one (batch, width, height), allocated once.</summary>
internal sealed class DecoderBuffers : IDisposable
{
    public DecoderBuffers(VaeDecoderLayout decoder, int batch, long channels, int width, int height, int scaleFactor)
    {
        Batch = batch;
        Width = width;
        Height = height;
        In = new HostTensor(decoder.LatentType, [batch, channels, height / scaleFactor, width / scaleFactor]);
        Out = new HostTensor(decoder.OutputType, [batch, 3, height, width]);
        InputNames = ["latent_sample"];
        Inputs = [In.Value];
        OutputNames = ["sample"];
        Outputs = [Out.Value];
    }

    public int Batch { get; }

    public int Width { get; }

    public int Height { get; }

    public HostTensor In { get; }

    public HostTensor Out { get; }

    public string[] InputNames { get; }

    public OrtValue[] Inputs { get; }

    public string[] OutputNames { get; }

    public OrtValue[] Outputs { get; }

    /// <summary>The decoded batch as one interleaved RGB byte array per image (from <paramref name="pool"/> when given; every byte is written).</summary>
    public byte[][] ToRgb(VaeOutputRange range, RgbBufferPool? pool = null)
    {
        var plane = 3 * Width * Height;
        var images = new byte[Batch][];
        for (var i = 0; i < Batch; i++)
        {
            var rgb = pool?.Rent(plane) ?? new byte[plane];
            if (Out.ElementType == TensorElementType.Float)
            {
                var chw = Out.As<float>().Slice(i * plane, plane);
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
                var chw = Out.As<Half>().Slice(i * plane, plane);
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
        In.Dispose();
        Out.Dispose();
    }
}
