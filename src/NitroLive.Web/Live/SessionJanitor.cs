using Microsoft.Extensions.Options;

namespace NitroLive.Web.Live;

/// <summary>Ends sessions left empty past the grace period, and every session when the app stops.</summary>
internal sealed class SessionJanitor(LiveSessionRegistry registry, IOptions<LiveOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(Math.Clamp(options.Value.EmptySessionGraceSeconds / 4.0, 0.25, 10));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                registry.Sweep();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);

        // Members' readers (hub streams, components) complete instead of waiting for frames that will never come.
        foreach (var session in registry.All)
        {
            registry.Close(session, "shutdown");
        }
    }
}
