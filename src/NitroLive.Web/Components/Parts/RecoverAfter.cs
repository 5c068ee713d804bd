using Microsoft.AspNetCore.Components;

namespace NitroLive.Web.Components.Parts;

/// <summary>Calls <see cref="OnElapsed"/> once, a few seconds after it is shown (error overlays that recover alone).</summary>
public sealed class RecoverAfter : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource _gone = new();
    private Task _wait = Task.CompletedTask;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    /// <summary>Seconds to wait.</summary>
    [Parameter]
    public double Seconds { get; set; } = 3;

    /// <summary>Called when the time is up (not if the component went away first).</summary>
    [Parameter]
    public EventCallback OnElapsed { get; set; }

    /// <inheritdoc />
    public void Dispose()
    {
        _gone.Cancel();
        _gone.Dispose();
    }

    /// <inheritdoc />
    protected override void OnInitialized() => _wait = WaitAsync(_gone.Token);

    private async Task WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(Seconds), Time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await OnElapsed.InvokeAsync();
    }
}
