using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NitroLive.Core.Pipeline;
using NitroLive.Web.Hubs;
using NitroLive.Web.Live;
using NitroLive.Web.Telemetry;

namespace NitroLive.Web.Extensions;

/// <summary>Registration of the live service, its hub and its health checks.</summary>
public static class LiveServiceCollectionExtensions
{
    /// <summary>
    /// Adds the live service (<see cref="ILiveService"/>), its generation loop, the <c>/hubs/live</c> hub with the JSON
    /// and MessagePack protocols, and the health checks. Options bind from <c>NitroLive:Live</c> and are validated at
    /// startup; the kiosk blocklist binds from <c>NitroLive:Kiosk:Blocklist</c>. Needs an <see cref="Core.Pipeline.IImageGenerator"/> registration (<c>AddNitroGenerator()</c>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddNitroLive(this IServiceCollection services)
    {
        services.AddOptions<LiveOptions>()
            .BindConfiguration(LiveOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.AllowedSteps.All(s => s is >= 1 and <= 4), "NitroLive:Live:AllowedSteps may only hold 1 to 4.")
            .ValidateOnStart();

        // The kiosk blocklist keeps its key in the kiosk's section, but the live service enforces it (for kiosk sessions).
        services.AddOptions<PromptBlocklistOptions>()
            .BindConfiguration(PromptBlocklistOptions.SectionName);

        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<NitroMetrics>();
        services.TryAddSingleton<ILiveGaugeSource, LiveGaugeSource>();
        services.TryAddSingleton<LiveStats>();
        services.TryAddSingleton<LiveReadiness>();
        services.TryAddSingleton<ReadyQueue>();
        services.TryAddSingleton<LiveSessionRegistry>();
        services.TryAddSingleton<IFrameEncoder>(sp => new FrameEncoder(sp.GetRequiredService<IOptions<LiveOptions>>().Value));
        services.TryAddSingleton<RgbBufferPool>();
        services.TryAddSingleton(sp => new FullQualityPngs(
            FullQualityPngs.DefaultConcurrency, maxPending: sp.GetRequiredService<IOptions<LiveOptions>>().Value.MaxPendingDownloads));
        services.TryAddSingleton(sp => new FrameCache(
            sp.GetRequiredService<IOptions<LiveOptions>>().Value.FrameCacheMegabytes * 1024L * 1024L, sp.GetRequiredService<RgbBufferPool>()));
        services.TryAddSingleton<PromptBlocklist>();
        services.TryAddSingleton<LiveService>();
        services.TryAddSingleton<ILiveService>(sp => sp.GetRequiredService<LiveService>());
        services.AddHostedService<GenerationLoop>();
        services.AddHostedService<SessionJanitor>();

        services.AddSignalR()
            .AddMessagePackProtocol()
            .AddHubOptions<LiveHub>(o => o.AddFilter<LiveHubErrorFilter>());
        services.TryAddSingleton<LiveHubErrorFilter>();

        services.AddHealthChecks()
            .AddCheck<GeneratorReadyHealthCheck>("generator", tags: [GeneratorReadyHealthCheck.ReadyTag]);
        return services;
    }
}
