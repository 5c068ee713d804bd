using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.Pipeline;

/// <summary>
/// The device-resident loop (IOBinding + the scheduler step as ONNX graphs) is what CUDA runs; forced onto the CPU
/// provider it must give exactly the host loop's pixels, since both round every float32 operation in the same order.
/// </summary>
public sealed class DeviceLatentsTests(EmbeddedPipelineFixture fixture) : IClassFixture<EmbeddedPipelineFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task TheDeviceResidentLoopGivesTheHostLoopsPixels()
    {
        using var device = new NitroPipeline(fixture.Options() with { KeepLatentsOnDevice = true });
        var host = fixture.Pipeline;
        Assert.True(device.KeepsLatentsOnDevice);
        Assert.False(host.KeepsLatentsOnDevice);

        var w = host.Model.NativeWidth;
        var h = host.Model.NativeHeight;
        foreach (var steps in host.Model.SupportedSteps)
        {
            GenerationRequest[] requests = [new("a red circle on a blue background", steps, 31, w, h), new("a green triangle", steps, 32, w, h)];
            var batch = host.Model.MaxBatch >= 2 ? requests : requests[..1];

            var expected = await host.GenerateAsync(batch, CancellationToken.None).WaitAsync(Timeout);
            var actual = await device.GenerateAsync(batch, CancellationToken.None).WaitAsync(Timeout);

            for (var i = 0; i < batch.Length; i++)
            {
                Assert.True(expected[i].Rgb.AsSpan().SequenceEqual(actual[i].Rgb), $"{steps} step(s), image {i}: max difference {NitroPipelineTests.MaxAbsoluteDifference(expected[i].Rgb, actual[i].Rgb)}");
                Assert.Equal(steps, actual[i].Timings.UnetStepMs.Count);
            }
        }
    }

    // A device out of memory for a new shape must not take the device path from the shapes already cached: their
    // buffers are bound to the pipeline's step graphs.
    [Fact]
    public async Task AShapeWithoutRoomOnTheDeviceRunsOnTheHostAndTheCachedShapesKeepTheirs()
    {
        var host = fixture.Pipeline;
        var (w, h) = (host.Model.NativeWidth, host.Model.NativeHeight);
        var (bigW, bigH) = (w * 2, h * 2);
        using var device = new NitroPipeline(fixture.Options() with
        {
            KeepLatentsOnDevice = true,
            BeforeDeviceBuffers = (_, width, _) =>
            {
                if (width == bigW)
                {
#pragma warning disable CA2201 // stands in for the one the runtime throws when an allocation fails
                    throw new OutOfMemoryException("no room on the device for this shape");
#pragma warning restore CA2201
                }
            },
        });

        GenerationRequest Request(int width, int height) => new("a red circle on a blue background", 2, 5, width, height);
        var small = await device.GenerateAsync([Request(w, h)], CancellationToken.None).WaitAsync(Timeout);
        var big = await device.GenerateAsync([Request(bigW, bigH)], CancellationToken.None).WaitAsync(Timeout);
        var smallAgain = await device.GenerateAsync([Request(w, h)], CancellationToken.None).WaitAsync(Timeout);

        var expectedBig = await host.GenerateAsync([Request(bigW, bigH)], CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(expectedBig[0].Rgb, big[0].Rgb);
        Assert.Equal(small[0].Rgb, smallAgain[0].Rgb);
        Assert.True(device.KeepsLatentsOnDevice);
    }

    [Fact]
    public async Task TheDeviceResidentLoopCanBeCancelled()
    {
        using var device = new NitroPipeline(fixture.Options() with { KeepLatentsOnDevice = true });
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            device.GenerateAsync([new GenerationRequest("x", 4, 1, 512, 512)], cts.Token).WaitAsync(Timeout));

        var after = await device.GenerateAsync([new GenerationRequest("x", 2, 1, device.Model.NativeWidth, device.Model.NativeHeight)], CancellationToken.None)
            .WaitAsync(Timeout);
        Assert.Equal(device.Model.NativeWidth * device.Model.NativeHeight * 3, after[0].Rgb.Length);
    }
}
