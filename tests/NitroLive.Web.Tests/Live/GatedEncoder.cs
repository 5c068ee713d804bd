using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Live;

/// <summary>A frame encoder that holds each frame until the test opens the gate, to order events around publishing.</summary>
internal sealed class GatedEncoder : IFrameEncoder, IDisposable
{
    private readonly ManualResetEventSlim _started = new();
    private readonly ManualResetEventSlim _gate = new();

    public FrameFormat Format => FrameFormat.Jpeg;

    public byte[] Encode(byte[] rgb, int width, int height)
    {
        _started.Set();

        // Bounded, so a test that never opens the gate fails instead of hanging the loop.
        _gate.Wait(LiveTestHost.Timeout);
        return [1, 2, 3];
    }

    /// <summary>Waits until a frame is being encoded (its generation is over).</summary>
    public async Task WaitUntilEncodingAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!_started.IsSet)
        {
            await Task.Delay(10, cts.Token);
        }
    }

    public void Open() => _gate.Set();

    public void Dispose()
    {
        _gate.Set();
        _started.Dispose();
        _gate.Dispose();
    }
}
