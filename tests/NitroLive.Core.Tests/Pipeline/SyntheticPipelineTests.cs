using Microsoft.ML.OnnxRuntime.Tensors;
using NitroLive.Core.Imaging;
using NitroLive.Core.Pipeline;
using NitroLive.Core.Scheduling;
using NitroLive.Core.Text;

namespace NitroLive.Core.Tests.Pipeline;

/// <summary>
/// The whole pipeline on <see cref="SyntheticModelFolder"/>, whose outputs are computed here by hand: checks the
/// plumbing (penultimate hidden states, concatenation, pooled embeds, noise order per image, scheduler steps, decoder
/// scaling, CHW to RGB) exactly, in float32 and in float16 with int32 ids and a scalar float timestep.
/// </summary>
public sealed class SyntheticPipelineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static TheoryData<TensorElementType, TensorElementType, bool, bool> Variants => new()
    {
        { TensorElementType.Float, TensorElementType.Int64, false, false },
        { TensorElementType.Float, TensorElementType.Int64, false, true },
        { TensorElementType.Float16, TensorElementType.Int32, true, false },
        { TensorElementType.Float16, TensorElementType.Int32, true, true },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task EveryPixelIsWhatTheModelsComputeByHand(TensorElementType type, TensorElementType ids, bool scalarTimestep, bool onDevice)
    {
        using var model = new SyntheticModelFolder(type, ids, scalarTimestep);
        using var pipeline = new NitroPipeline(new PipelineOptions
        {
            ModelDirectory = model.Directory,
            Provider = ProviderPreference.Cpu,
            KeepLatentsOnDevice = onDevice,
        });
        Assert.Equal(onDevice, pipeline.KeepsLatentsOnDevice);

        foreach (var steps in new[] { 1, 3 })
        {
            GenerationRequest[] requests = [new("ab ab", steps, 7, SyntheticModelFolder.Size, SyntheticModelFolder.Size), new("b", steps, -3, SyntheticModelFolder.Size, SyntheticModelFolder.Size)];

            var results = await pipeline.GenerateAsync(requests, CancellationToken.None).WaitAsync(Timeout);

            for (var i = 0; i < requests.Length; i++)
            {
                var expected = ExpectedImage(model, requests[i]);
                Assert.True(expected.AsSpan().SequenceEqual(results[i].Rgb),
                    $"{type}, {steps} step(s), image {i}: max difference {NitroPipelineTests.MaxAbsoluteDifference(expected, results[i].Rgb)}");
            }
        }
    }

    [Theory]
    [InlineData(TensorElementType.Float)]
    [InlineData(TensorElementType.Float16)]
    public async Task TheEmbeddingIsBothPenultimateHiddenStatesSideBySideAndTheSecondEncodersPooledOutput(TensorElementType type)
    {
        using var model = new SyntheticModelFolder(type, TensorElementType.Int64, scalarFloatTimestep: false);
        using var pipeline = new NitroPipeline(new PipelineOptions { ModelDirectory = model.Directory, Provider = ProviderPreference.Cpu });
        const string prompt = "ab b a";

        await pipeline.GenerateAsync([new GenerationRequest(prompt, 1, 1, SyntheticModelFolder.Size, SyntheticModelFolder.Size)], CancellationToken.None).WaitAsync(Timeout);

        Assert.True(pipeline.TryGetCachedEmbedding(prompt, out var embedding));
        var ids1 = ClipTokenizer.Load(Path.Combine(model.Directory, "tokenizer")).Encode(prompt);
        var ids2 = ClipTokenizer.Load(Path.Combine(model.Directory, "tokenizer_2")).Encode(prompt);
        const int width = SyntheticModelFolder.D1 + SyntheticModelFolder.D2;
        Assert.Equal(77 * width, embedding.Hidden.Length);
        for (var t = 0; t < 77; t++)
        {
            for (var j = 0; j < SyntheticModelFolder.D1; j++)
            {
                Assert.Equal(model.Hidden(ids1[t], 1, j), embedding.Hidden[(t * width) + j]);
            }

            for (var j = 0; j < SyntheticModelFolder.D2; j++)
            {
                Assert.Equal(model.Hidden(ids2[t], 1, j), embedding.Hidden[(t * width) + SyntheticModelFolder.D1 + j]);
            }
        }

        Assert.Equal(Enumerable.Range(0, SyntheticModelFolder.D2).Select(j => model.Hidden(ids2[0], 1, j)), embedding.Pooled);
    }

    /// <summary>The documented algorithm, step by step, with the model's roundings.</summary>
    private static byte[] ExpectedImage(SyntheticModelFolder model, GenerationRequest request)
    {
        var half = model.Type == TensorElementType.Float16;
        float Round(float v) => half ? (float)(Half)v : v;
        const int latentSize = SyntheticModelFolder.Size / 2;
        const int n = 4 * latentSize * latentSize;

        var noise = new GaussianNoise(request.Seed);
        var latents = new float[n];
        noise.Fill(latents);
        var schedule = new TimestepShiftLcmScheduler(new LcmSchedulerConfig(), 250, 4).CreateSchedule(request.Steps);
        var eps = new float[n];
        var stepNoise = new float[n];
        for (var step = 0; step < request.Steps; step++)
        {
            for (var k = 0; k < n; k++)
            {
                eps[k] = Round(Round(latents[k]) * 0.5f);
            }

            if (schedule.NeedsNoise(step))
            {
                noise.Fill(stepNoise);
            }

            schedule.Step(step, eps, latents, schedule.NeedsNoise(step) ? stepNoise : default, latents);
        }

        // DepthToSpace(2), DCR: pixel (2y+i, 2x+j) takes latent channel 2i+j at (y, x); the decoder copies it to R, G and B.
        const int size = SyntheticModelFolder.Size;
        var scale = (float)(1.0 / SyntheticModelFolder.ScalingFactor);
        var chw = new float[3 * size * size];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var channel = (2 * (y % 2)) + (x % 2);
                var v = Round(latents[(channel * latentSize * latentSize) + ((y / 2) * latentSize) + (x / 2)] * scale);
                for (var c = 0; c < 3; c++)
                {
                    chw[(c * size * size) + (y * size) + x] = v;
                }
            }
        }

        var rgb = new byte[3 * size * size];
        if (half)
        {
            PixelConversion.ToRgb24(chw.Select(v => (Half)v).ToArray(), size, size, rgb);
        }
        else
        {
            PixelConversion.ToRgb24(chw, size, size, rgb);
        }

        return rgb;
    }
}
