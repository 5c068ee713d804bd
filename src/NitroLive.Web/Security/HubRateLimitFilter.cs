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
    /// <summary>
    /// A flooding connection is reported once per this interval, with the count refused since: refusing is cheap, and a
    /// line per refused call would turn the limit into log and disk amplification.
    /// </summary>
    internal static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(10);

    private static readonly object RefusalsKey = new();

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
                Report(invocationContext);
                throw new HubException(_message);
            }
        }

        return await next(invocationContext);
    }

    public void Dispose() => _limiter.Dispose();

    private void Report(HubInvocationContext invocation)
    {
        var items = invocation.Context.Items;
        Refusals refusals;
        lock (items)
        {
            if (items.TryGetValue(RefusalsKey, out var value) && value is Refusals known)
            {
                refusals = known;
            }
            else
            {
                refusals = new Refusals();
                items[RefusalsKey] = refusals;
            }
        }

        if (refusals.TryReport(Environment.TickCount64, (long)ReportEvery.TotalMilliseconds, out var unreported))
        {
            SecurityLog.HubCallRateLimited(_logger, invocation.Context.ConnectionId, _options.HubCallsPerSecond, _options.HubCallBurst,
                invocation.HubMethodName, unreported);
        }
    }

    /// <summary>One connection's refused calls since its last report.</summary>
    private sealed class Refusals
    {
        private readonly Lock _gate = new();
        private long _reportedAt = long.MinValue;
        private int _unreported;

        /// <summary>True when this refusal is to be reported, with the refusals left unreported before it.</summary>
        public bool TryReport(long now, long intervalMs, out int unreported)
        {
            lock (_gate)
            {
                if (_reportedAt != long.MinValue && now - _reportedAt < intervalMs)
                {
                    _unreported++;
                    unreported = 0;
                    return false;
                }

                unreported = _unreported;
                _unreported = 0;
                _reportedAt = now;
                return true;
            }
        }
    }
}
