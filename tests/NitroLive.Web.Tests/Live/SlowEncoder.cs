using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Live;

/// <summary>A frame encoder that takes its time and records when it ran, to see the stages overlap.</summary>
internal sealed class SlowEncoder(TimeSpan delay) : IFrameEncoder
{
    private readonly ConcurrentQueue<(DateTime Start, DateTime End)> _runs = new();

    public FrameFormat Format => FrameFormat.Jpeg;

    public byte[] Encode(byte[] rgb, int width, int height)
    {
        var start = DateTime.UtcNow;
        Thread.Sleep(delay);
        _runs.Enqueue((start, DateTime.UtcNow));
        return [1, 2, 3];
    }

    /// <summary>Whether the generator's second call (after the warm-up) started before the first frame's encoding ended.</summary>
    public bool GenerationStartedDuringEncode(FakeImageGenerator generator) =>
        generator.CallStarts.ElementAt(2) < _runs.Min(run => run.End);
}

internal static class SlowEncoderRegistration
{
    public static IServiceCollection AddSingletonEncoder(this IServiceCollection services, IFrameEncoder encoder) =>
        services.AddSingleton(encoder);
}
