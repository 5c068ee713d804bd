using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;
using NitroLive.Web.Components.Services;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Components;

/// <summary>A bUnit context with MudBlazor, the UI services, a fake clock and a fake live service.</summary>
public abstract class UiTestContext : BunitContext, IAsyncLifetime
{
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    protected UiTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        DefaultWaitTimeout = Timeout;
        Services.AddMudServices();
        Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        Services.AddSingleton<TimeProvider>(Clock);
        Services.AddSingleton<ILiveService>(Live);
        Services.AddSingleton<KioskRegistry>();
        Services.AddSingleton<PromptSuggestions>();
        Services.AddSingleton(new PromptBlocklist(["forbidden", "bad word*"]));
        Services.AddSingleton<CircuitConnection>();
        Services.AddOptions<UiOptions>();
        Services.AddOptions<KioskOptions>().Configure(options =>
        {
            options.AttractAfterSeconds = 10;
            options.AttractIntervalSeconds = 4;
            options.Playlist = ["first playlist prompt", "second playlist prompt", "third playlist prompt"];
        });
        JSInterop.Setup<string?>("load", _ => true).SetResult(null);
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    // MudBlazor's services are async-disposable only: dispose the context asynchronously before xUnit's Dispose.
    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    internal FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));

    internal FakeLiveService Live { get; } = new();

    /// <summary>Moves the fake clock in small steps, letting timers and their continuations run in between.</summary>
    internal async Task AdvanceAsync(TimeSpan by, TimeSpan? step = null)
    {
        var stride = step ?? TimeSpan.FromMilliseconds(10);
        for (var passed = TimeSpan.Zero; passed < by; passed += stride)
        {
            Clock.Advance(stride);
            await Task.Delay(1);
        }
    }
}
