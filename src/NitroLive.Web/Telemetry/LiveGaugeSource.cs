using NitroLive.Core.Pipeline;
using NitroLive.Web.Live;

namespace NitroLive.Web.Telemetry;

/// <summary>Reads the gauges from the live service's registry, ready queue and frame cache, and the generator's instance count, when Prometheus scrapes.</summary>
internal sealed class LiveGaugeSource(LiveSessionRegistry registry, ReadyQueue ready, FrameCache frames, IImageGenerator generator) : ILiveGaugeSource
{
    public LiveGauges Read()
    {
        var members = 0;
        foreach (var session in registry.All)
        {
            members += session.MemberCount;
        }

        return new LiveGauges(registry.Count, members, ready.Count, frames.Bytes, frames.Count, Math.Max(1, generator.Concurrency));
    }
}
