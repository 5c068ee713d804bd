using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.Pipeline;

/// <summary>
/// Drafts decode with the model's tiny decoder (vae_decoder_tiny) and every other request with the full VAE decoder,
/// on one pipeline that shares everything else: the embedded model has both.
/// </summary>
public sealed class DraftDecoderTests(EmbeddedPipelineFixture fixture) : IClassFixture<EmbeddedPipelineFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private GenerationRequest Request(string prompt, int steps, long seed) =>
        new(prompt, steps, seed, fixture.Pipeline.Model.NativeWidth, fixture.Pipeline.Model.NativeHeight);

    private static async Task<GenerationResult> GenerateAsync(NitroPipeline generator, GenerationRequest request) =>
        (await generator.GenerateAsync([request], CancellationToken.None).WaitAsync(Timeout))[0];

    [Fact]
    public void TheEmbeddedModelSaysItsDraftsUseATinyDecoder()
    {
        var model = fixture.Pipeline.Model;

        Assert.True(model.DraftsUseTinyDecoder, "models/nitro-tiny has no vae_decoder_tiny (tools/tinymodel/distill_decoder.py adds it)");
        Assert.True(Assert.Single(model.Variants).DraftsUseTinyDecoder);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task ADraftGetsTheTinyDecodersPixelsAndEveryOtherRequestTheFullDecoders(int steps)
    {
        using var tinyOnly = new NitroPipeline(fixture.Options() with { UseTinyDecoder = true });
        using var fullOnly = new NitroPipeline(fixture.Options() with { TinyDecoderForDrafts = false });
        var request = Request("a yellow circle on a purple background", steps, 7);

        var draft = await GenerateAsync(fixture.Pipeline, request with { Draft = true });
        var picture = await GenerateAsync(fixture.Pipeline, request);

        Assert.Equal((await GenerateAsync(tinyOnly, request)).Rgb, draft.Rgb);
        Assert.Equal((await GenerateAsync(fullOnly, request)).Rgb, picture.Rgb);
        Assert.NotEqual(draft.Rgb, picture.Rgb);
        Assert.True(draft.Timings.TinyDecoder);
        Assert.False(picture.Timings.TinyDecoder);
    }

    [Fact]
    public async Task OnTheDeviceResidentLoopBothDecodersGiveTheHostLoopsPixels()
    {
        using var device = new NitroPipeline(fixture.Options() with { KeepLatentsOnDevice = true });
        Assert.True(device.KeepsLatentsOnDevice);

        foreach (var steps in new[] { 1, 2 })
        {
            var request = Request("two white squares on a green background", steps, 11);
            foreach (var draft in new[] { true, false, true })
            {
                var expected = await GenerateAsync(fixture.Pipeline, request with { Draft = draft });
                var actual = await GenerateAsync(device, request with { Draft = draft });
                Assert.True(expected.Rgb.AsSpan().SequenceEqual(actual.Rgb),
                    $"{steps} step(s), draft {draft}: max difference {NitroPipelineTests.MaxAbsoluteDifference(expected.Rgb, actual.Rgb)}");
                Assert.Equal(draft, actual.Timings.TinyDecoder);
            }
        }
    }

    [Fact]
    public async Task WithoutATinyDecoderForDraftsADraftIsDecodedLikeAnyOtherRequest()
    {
        using var fullOnly = new NitroPipeline(fixture.Options() with { TinyDecoderForDrafts = false });
        var request = Request("a red circle", 1, 3);

        var draft = await GenerateAsync(fullOnly, request with { Draft = true });

        Assert.False(fullOnly.Model.DraftsUseTinyDecoder);
        Assert.False(draft.Timings.TinyDecoder);
        Assert.Equal((await GenerateAsync(fullOnly, request)).Rgb, draft.Rgb);
    }

    [Fact]
    public void ABatchIsAllDraftsOrNone()
    {
        var request = Request("a red circle", 1, 3);

        var ex = Assert.Throws<ArgumentException>(() => fixture.Pipeline.Generate([request, request with { Draft = true }], CancellationToken.None));

        Assert.Contains("Draft", ex.Message, StringComparison.Ordinal);
    }
}
