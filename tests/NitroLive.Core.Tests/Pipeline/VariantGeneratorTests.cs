using NitroLive.Core.Models;
using NitroLive.Core.Pipeline;
using NitroLive.Testing;

namespace NitroLive.Core.Tests.Pipeline;

/// <summary>The real pipelines on two variants of the embedded model (only nitrolive.json differs, as in the export).</summary>
public sealed class VariantGeneratorTests(EmbeddedPipelineFixture fixture) : IClassFixture<EmbeddedPipelineFixture>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private readonly TwoVariantModelFolder _folder = TwoVariantModelFolder.Create(fixture.ModelDirectory);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task EachVariantMakesThePictureItsOwnFolderMakesAlone()
    {
        using var generator = VariantGenerator.Open(fixture.Options() with { ModelDirectory = _folder.Directory });

        Assert.Equal("realism", generator.Model.Variant);
        Assert.Equal(
            [("realism", "NitroSD-Realism", 250), ("vibrant", "NitroSD-Vibrant", 500)],
            generator.Model.Variants.Select(v => (v.Name, v.DisplayName, v.ShiftedTimestep)));

        var pictures = new Dictionary<string, byte[]>();
        foreach (var (variant, directory) in new[] { ("realism", _folder.Realism), ("vibrant", _folder.Vibrant) })
        {
            var request = new GenerationRequest("a red circle on a blue background", 1, 7, 128, 128, variant);
            using var alone = new NitroPipeline(fixture.Options() with { ModelDirectory = directory });
            var expected = alone.Generate([request with { Variant = null }], CancellationToken.None)[0].Rgb;

            var actual = await generator.GenerateAsync([request], CancellationToken.None).WaitAsync(Timeout);

            Assert.Equal(expected, Assert.Single(actual).Rgb);
            pictures[variant] = expected;
        }

        // The shift differs, so the variants really are different pictures: routing to the wrong one would show.
        Assert.NotEqual(pictures["realism"], pictures["vibrant"]);
        var byDefault = await generator.GenerateAsync([new GenerationRequest("a red circle on a blue background", 1, 7, 128, 128)], CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(pictures["realism"], byDefault[0].Rgb);
    }

    [Fact]
    public async Task VariantsWithTheSameEncodersAndDecoderOpenEachOnceAndADifferentDecoderGetsItsOwn()
    {
        using (var generator = VariantGenerator.Open(fixture.Options() with { ModelDirectory = _folder.Directory }))
        {
            // Two text encoders and the two decoders (the VAE's and the tiny one drafts use) for both variants, not eight sessions.
            Assert.Equal(4, generator.SharedSessionCount);
        }

        // One byte more in the vibrant decoder's config: that folder no longer holds the same files, so it is not shared,
        // and each variant still draws what its own folder draws.
        var config = Path.Combine(_folder.Vibrant, "vae_decoder", "config.json");
        File.AppendAllText(config, " ");
        using var changed = VariantGenerator.Open(fixture.Options() with { ModelDirectory = _folder.Directory });
        Assert.Equal(5, changed.SharedSessionCount);
        var request = new GenerationRequest("two yellow triangles", 1, 3, 128, 128, "vibrant");
        using var alone = new NitroPipeline(fixture.Options() with { ModelDirectory = _folder.Vibrant });
        var expected = alone.Generate([request with { Variant = null }], CancellationToken.None)[0].Rgb;
        var actual = await changed.GenerateAsync([request], CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(expected, Assert.Single(actual).Rgb);
    }

    [Fact]
    public async Task AMixedBatchAndAnUnknownVariantAreRefusedNamingTheVariants()
    {
        using var generator = VariantGenerator.Open(fixture.Options() with { ModelDirectory = _folder.Directory });

        var mixed = await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(
            [new GenerationRequest("a", 1, 1, 128, 128, "realism"), new GenerationRequest("b", 1, 1, 128, 128, "vibrant")],
            CancellationToken.None).WaitAsync(Timeout));
        Assert.Contains("share one variant", mixed.Message, StringComparison.Ordinal);
        Assert.Contains("'vibrant'", mixed.Message, StringComparison.Ordinal);

        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(
            [new GenerationRequest("a", 1, 1, 128, 128, "sketch")], CancellationToken.None).WaitAsync(Timeout));
        Assert.Contains("'sketch' is not offered; use one of 'realism', 'vibrant'", unknown.Message, StringComparison.Ordinal);

        // A single pipeline refuses another variant's request rather than drawing it with its own weights.
        var foreign = Assert.Throws<ArgumentException>(() => fixture.Pipeline.Generate(
            [new GenerationRequest("a", 1, 1, 128, 128, "vibrant")], CancellationToken.None));
        Assert.Contains("runs 'tiny' only", foreign.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFolderWithNoModelFolderAndTwoFoldersOfOneVariantAreRefusedNamingWhy()
    {
        var empty = Directory.CreateTempSubdirectory("nitrolive-no-variants-");
        try
        {
            var none = Assert.Throws<ModelValidationException>(() => VariantGenerator.Open(fixture.Options() with { ModelDirectory = empty.FullName }));
            Assert.Equal(empty.FullName, none.Directory);
            Assert.Contains("nitrolive.json: file not found here nor in any subfolder", none.Message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }

        var manifest = Path.Combine(_folder.Vibrant, "nitrolive.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"vibrant\"", "\"realism\"", StringComparison.Ordinal));
        var twice = Assert.Throws<ModelValidationException>(() => VariantGenerator.Open(fixture.Options() with { ModelDirectory = _folder.Directory }));
        Assert.Contains("'realism' is offered twice", twice.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABadOptionIsReportedAsTheOptionNotAsABrokenModelFolder()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            VariantGenerator.Open(fixture.Options() with { ModelDirectory = _folder.Directory, EmbeddingCacheSize = -1 }));

        Assert.Equal("EmbeddingCacheSize", error.ParamName?.Split('.')[^1]);
    }

    // Disposing waits for a generation under way only so long; one that outlasts it keeps every session it uses, the
    // text encoders and decoder the variants share included (freeing them under it could crash the process).
    [Fact]
    public async Task AGenerationThatOutlastsDisposeKeepsTheSharedSessionsItUses()
    {
        // The run is held in its first UNet step (the forced per-shape path has the hook) until the dispose has returned.
        using var inRun = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        var generator = VariantGenerator.Open(fixture.Options() with
        {
            ModelDirectory = _folder.Directory,
            StopTimeout = TimeSpan.FromMilliseconds(1),
            KeepLatentsOnDevice = true,
            ForceShapeSessions = true,
            BeforeShapeRun = () =>
            {
                inRun.Release();
                release.Wait(Timeout);
            },
        });
        var side = generator.Model.NativeWidth;
        var running = generator.GenerateAsync(
            [new GenerationRequest("a red circle on a blue background", 1, 1, side, side, "vibrant")], CancellationToken.None);
        Assert.True(await inRun.WaitAsync(Timeout), "the generation never reached its UNet");

        generator.Dispose();
        release.Release();

        var result = Assert.Single(await running.WaitAsync(Timeout));
        Assert.Equal(side * side * 3, result.Rgb.Length);
    }

    [Fact]
    public void ABrokenVariantFolderIsNamedWithItsFile()
    {
        File.Delete(Path.Combine(_folder.Vibrant, "unet", "model.onnx"));

        var broken = Assert.Throws<ModelValidationException>(() => VariantGenerator.Open(fixture.Options() with { ModelDirectory = _folder.Directory }));

        Assert.Equal(_folder.Vibrant, broken.Directory);
        Assert.Contains("unet/model.onnx", broken.Message, StringComparison.Ordinal);
    }
}
