using System.Threading.RateLimiting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using NitroLive.Web.Telemetry;

namespace NitroLive.Web.Security;

/// <summary>
/// A token bucket per connection in front of every hub method: a client that floods gets
/// <c>HubException("rate_limited: ...")</c> for the calls over its budget while its connection and every other one
/// carry on. Buckets live in one partitioned limiter keyed by connection id, which drops idle buckets itself, so
/// memory follows the number of busy connections.
/// </summary>
internal sealed class HubRateLimitFilter : IHubFilter, IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly SecurityOptions _options;
    private readonly NitroMetrics _metrics;
    private readonly ILogger<HubRateLimitFilter> _logger;
    private readonly string _message;

    public HubRateLimitFilter(IOptions<SecurityOptions> options, NitroMetrics metrics, ILogger<HubRateLimitFilter> logger)
    {
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        var perSecond = _options.HubCallsPerSecond;
        var burst = _options.HubCallBurst;
        _message = $"rate_limited: This connection made more than {perSecond} calls per second (burst {burst}); the call was refused. Slow down and retry.";
        _limiter = PartitionedRateLimiter.Create<string, string>(connectionId => RateLimitPartition.GetTokenBucketLimiter(connectionId, _ =>
            new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst,
                // The bucket refills continuously by elapsed time; the partitioned limiter's timer drives it.
                TokensPerPeriod = perSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        ArgumentNullException.ThrowIfNull(invocationContext);
        ArgumentNullException.ThrowIfNull(next);
        using (var lease = _limiter.AttemptAcquire(invocationContext.Context.ConnectionId))
        {
            if (!lease.IsAcquired)
            {
                _metrics.HubCallRejected("rate_limited");
                SecurityLog.HubCallRateLimited(_logger, invocationContext.Context.ConnectionId, _options.HubCallsPerSecond, _options.HubCallBurst,
                    invocationContext.HubMethodName);
                throw new HubException(_message);
            }
        }

        return await next(invocationContext);
    }

    public void Dispose() => _limiter.Dispose();
}
