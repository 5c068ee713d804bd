using System.Threading.RateLimiting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NitroLive.Web.Hubs;
using NitroLive.Web.Telemetry;

namespace NitroLive.Web.Security;

/// <summary>Registration of the security headers, the per-connection hub rate limit and the per-address download limit.</summary>
public static class SecurityExtensions
{
    /// <summary>The rate-limiting policy of the full-quality PNG download endpoint (per client address).</summary>
    public const string DownloadsPolicy = "downloads";

    /// <summary>
    /// Binds and validates <c>NitroLive:Security</c> and adds the per-connection token-bucket limit to every hub
    /// (a global hub filter, so it runs before each hub's own filters).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddNitroSecurity(this IServiceCollection services)
    {
        services.AddOptions<SecurityOptions>()
            .BindConfiguration(SecurityOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.HubCallBurst >= o.HubCallsPerSecond / 10,
                "NitroLive:Security:HubCallBurst must be at least a tenth of HubCallsPerSecond, or steady typing would be refused.")
            .ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton<NitroMetrics>();
        services.TryAddSingleton<HubRateLimitFilter>();
        // Only the public live hub: global HubOptions would also throttle Blazor's own circuit hub, whose render
        // acknowledgements and events easily exceed a typist's call rate.
        services.AddSignalR().AddHubOptions<LiveHub>(o => o.AddFilter<HubRateLimitFilter>());
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(DownloadsPolicy, context =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value;
                return RateLimitPartition.GetTokenBucketLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? string.Empty,
                    _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.DownloadBurst,
                        TokensPerPeriod = options.DownloadsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                    });
            });
        });
        return services;
    }

    /// <summary>
    /// Adds the Content-Security-Policy and hardening headers to every response and the rate limits of endpoints that
    /// name a policy (put it early in the pipeline).
    /// </summary>
    /// <param name="app">The application builder.</param>
    /// <returns>The application builder.</returns>
    public static IApplicationBuilder UseNitroSecurity(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.ApplicationServices.GetRequiredService<IOptions<SecurityOptions>>().Value;
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SecurityExtensions).FullName!);
        SecurityLog.Configured(logger, options.FrameAncestors, options.ReferrerPolicy, options.HubCallsPerSecond, options.HubCallBurst);
        return app.UseMiddleware<SecurityHeadersMiddleware>().UseRateLimiter();
    }
}
