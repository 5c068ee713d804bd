using Microsoft.Extensions.Diagnostics.HealthChecks;
using NitroLive.Web.Live;

namespace NitroLive.Web.Extensions;

/// <summary>Ready once the generator has loaded its model and run the warm-up generation; names the model and provider.</summary>
internal sealed class GeneratorReadyHealthCheck(LiveReadiness readiness, ILiveService live) : IHealthCheck
{
    public const string ReadyTag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = readiness.Current;
        var model = live.Model;
        var data = new Dictionary<string, object>
        {
            ["model"] = model.DisplayName,
            ["variant"] = model.Variant,
            ["provider"] = state.Provider ?? model.Provider,
            ["maxBatch"] = model.MaxBatch,
        };
        if (state.IsReady && state.RecoveredFrom is not null)
        {
            return Task.FromResult(HealthCheckResult.Healthy(
                $"{model.DisplayName} ({model.Variant}) generates on {state.Provider}; its warm-up had failed: {state.RecoveredFrom}", data));
        }

        if (state.IsReady)
        {
            data["warmUpMs"] = Math.Round(state.WarmUpMs, 1);
            return Task.FromResult(HealthCheckResult.Healthy(
                $"{model.DisplayName} ({model.Variant}) warmed up on {state.Provider} in {state.WarmUpMs:F0} ms.", data));
        }

        return Task.FromResult(state.Error is null
            ? HealthCheckResult.Unhealthy($"{model.DisplayName} is warming up on {model.Provider}.", data: data)
            : HealthCheckResult.Unhealthy($"{model.DisplayName} failed to warm up on {state.Provider}: {state.Error}", data: data));
    }
}
