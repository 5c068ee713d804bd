namespace NitroLive.Web.Security;

/// <summary>Log messages of the security layer. Event ids are stable: 4000-4049.</summary>
internal static partial class SecurityLog
{
    [LoggerMessage(4000, LogLevel.Warning, "Hub connection {ConnectionId} exceeded {PerSecond} calls/s (burst {Burst}); {Method} refused, and {Unreported} calls before it since the last report (one report per connection every 10 s)")]
    public static partial void HubCallRateLimited(ILogger logger, string connectionId, int perSecond, int burst, string method, int unreported);

    [LoggerMessage(4001, LogLevel.Information, "Security headers on: frame-ancestors {FrameAncestors}, Referrer-Policy {ReferrerPolicy}; hub limit {PerSecond} calls/s per connection (burst {Burst})")]
    public static partial void Configured(ILogger logger, string frameAncestors, string referrerPolicy, int perSecond, int burst);
}
