using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NitroLive.Core.Models;
using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.Pipeline;

/// <summary>
/// What the UNet is given besides the latents, read back from the very buffers the pipeline binds. The accuracy test
/// cannot guard time_ids (a model that barely uses them scores the same with zeros), so their values are checked here.
/// </summary>
public sealed class UnetConditioningTests
{
    [Theory]
    [InlineData(TensorElementType.Float, 64, 32)]
    [InlineData(TensorElementType.Float16, 32, 96)]
    public void TimeIdsAreOriginalSizeThenZeroCropThenTargetSizeAsHeightThenWidthForEveryImage(TensorElementType type, int width, int height)
    {
        using var model = new SyntheticModelFolder(type, TensorElementType.Int64, scalarFloatTimestep: false);
        var folder = ModelFolder.Load(model.Directory);
        using var options = new SessionOptions();
        using var encoder1 = new InferenceSession(Path.Combine(model.Directory, ModelFolder.TextEncoderPath), options);
        using var encoder2 = new InferenceSession(Path.Combine(model.Directory, ModelFolder.TextEncoder2Path), options);
        using var text = new TextEncoderBuffers(folder, 77, encoder1, encoder2);
        using var buffers = new BufferSet(folder, [folder.VaeDecoder], text, batch: 2, width, height);
        var embeddings = Enumerable.Range(0, 2)
            .Select(i => new PromptEmbedding(Enumerable.Repeat((float)i, text.Tokens * text.HiddenWidth).ToArray(), Enumerable.Repeat(i + 0.5f, text.PooledWidth).ToArray()))
            .ToArray();

        buffers.SetConditioning(embeddings, width, height);

        var timeIds = new float[12];
        buffers.TimeIds.ReadFloats(0, timeIds);
        float[] one = [height, width, 0, 0, height, width];
        Assert.Equal([.. one, .. one], timeIds);
        Assert.Equal("time_ids", buffers.UnetInputNames[4]);
        Assert.Same(buffers.TimeIds.Value, buffers.UnetInputs[4]);

        // The second image's conditioning lands after the first's, not over it.
        var pooled = new float[2 * text.PooledWidth];
        buffers.TextEmbeds.ReadFloats(0, pooled);
        Assert.Equal(0.5f, pooled[0]);
        Assert.Equal(1.5f, pooled[^1]);
    }
}
