using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;

namespace NitroLive.Web.Telemetry;

/// <summary>Registration of NitroLive's metrics and their Prometheus endpoint.</summary>
public static class TelemetryExtensions
{
    /// <summary>The Prometheus scraping path.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// Meters exported: NitroLive's own, the live service's counters, the runtime (GC, memory, thread pool), and
    /// ASP.NET Core's HTTP, Kestrel and SignalR connection meters.
    /// </summary>
    internal static readonly string[] Meters =
    [
        NitroMetrics.MeterName,
        "NitroLive.Live",
        "System.Runtime",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
    ];

    /// <summary>Adds <c>NitroMetrics</c> and OpenTelemetry metrics with the Prometheus exporter.</summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddNitroTelemetry(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<NitroMetrics>();
        services.TryAddSingleton<ILiveGaugeSource, LiveGaugeSource>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(Meters)
            .AddPrometheusExporter());
        return services;
    }

    /// <summary>Maps the Prometheus scraping endpoint at <c>/metrics</c>.</summary>
    /// <param name="endpoints">The endpoint builder.</param>
    /// <returns>The endpoint convention builder of the scraping endpoint.</returns>
    public static IEndpointConventionBuilder MapNitroTelemetry(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPrometheusScrapingEndpoint(MetricsPath);
}
