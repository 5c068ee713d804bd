using Microsoft.Extensions.DependencyInjection;
using Bunit;
using Microsoft.JSInterop;
using NitroLive.Web.Components.Parts;
using NitroLive.Web.Components.Services;
using NitroLive.Web.Tests.Live;

namespace NitroLive.Web.Tests.Components;

/// <summary>The picture component on its own.</summary>
public sealed class FrameViewTests : UiTestContext
{
    // An error boundary can swap the page out while the connection is down for a moment: the module's release is never
    // answered then, and a disposal that waited for Blazor's minute and threw would end the circuit.
    [Fact]
    public async Task AViewReleasesItsModuleWithACallThatEndsWhenTheBrowserDoesNotAnswer()
    {
        var module = JSInterop.SetupModule("./js/frames.js");
        module.SetupVoid("attach", _ => true).SetVoidResult();
        module.SetupVoid("release", _ => true);
        var view = Render<FrameView>();
        view.WaitForAssertion(() => Assert.Contains(JSInterop.Invocations, i => i.Identifier == "attach"));

        var disposing = DisposeComponentsAsync();
        view.WaitForAssertion(() => Assert.Contains(JSInterop.Invocations, i => i.Identifier == "release"));
        var release = JSInterop.Invocations.Single(i => i.Identifier == "release").CancellationToken;
        Assert.True(release is { CanBeCanceled: true, IsCancellationRequested: false }, "the release call has no bound");

        await AdvanceAsync(CircuitConnection.CallTimeout + TimeSpan.FromSeconds(1));
        Assert.True(release.Value.IsCancellationRequested);
        await disposing.WaitAsync(Timeout);
    }

    // A connection that drops while the page loads leaves the module's import unanswered (Blazor does not resend it):
    // the view tries again once the browser is back, instead of waiting out Blazor's minute and failing the circuit.
    [Fact]
    public async Task AModuleImportLostWithTheConnectionIsTriedAgainOnceTheBrowserIsBack()
    {
        var runtime = new FirstImportUnanswered();
        Services.AddSingleton<IJSRuntime>(runtime);
        var view = Render<FrameView>();
        await LiveTestExtensions.WaitUntilAsync(() => runtime.Imports == 1, "the first import", Timeout);

        var connection = Services.GetRequiredService<CircuitConnection>();
        await view.InvokeAsync(connection.Down);
        await Task.Delay(100);
        Assert.Equal(1, runtime.Imports);

        await view.InvokeAsync(connection.Up);
        // Polled: the view does not render again when its module loads, and bUnit's waits run on renders.
        await LiveTestExtensions.WaitUntilAsync(() => runtime.ModuleCalls.Contains("attach"), "the module attached", Timeout);
        Assert.Equal(2, runtime.Imports);
    }

    /// <summary>
    /// A browser whose first import of a module is never answered, as when the socket drops with it in flight (the call
    /// ends only when its token fires, as the real runtime's does); later imports load.
    /// </summary>
    private sealed class FirstImportUnanswered : IJSRuntime, IJSObjectReference
    {
        public int Imports { get; private set; }

        public List<string> ModuleCalls { get; } = [];

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => InvokeAsync<TValue>(identifier, CancellationToken.None, args);

        public async ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args)
        {
            if (identifier != "import")
            {
                ModuleCalls.Add(identifier);
                return default!;
            }

            if (++Imports == 1)
            {
                await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, cancellationToken);
            }

            return (TValue)(object)this;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task ReleasingAModuleTheBrowserNeverAnswersEndsWithinACallsBoundWithoutAnError()
    {
        var connection = new CircuitConnection(Clock);
        var stuck = new StuckModule();

        var releasing = connection.ReleaseAsync(stuck, (module, token) => module.InvokeVoidAsync("release", token).AsTask()).AsTask();
        await Task.Delay(100);
        Assert.False(releasing.IsCompleted);
        await AdvanceAsync(CircuitConnection.CallTimeout + TimeSpan.FromSeconds(1));
        await releasing.WaitAsync(Timeout);

        // A connection that drops ends the wait at once, for the module reference too.
        var dropped = connection.ReleaseAsync(stuck).AsTask();
        await Task.Delay(100);
        Assert.False(dropped.IsCompleted);
        connection.Down();
        await dropped.WaitAsync(Timeout);
        Assert.Equal(2, stuck.Disposals + stuck.Calls);
    }

    /// <summary>A browser module whose calls are never answered (the ones in flight when a connection drops).</summary>
    private sealed class StuckModule : IJSObjectReference
    {
        public int Calls { get; private set; }

        public int Disposals { get; private set; }

        public ValueTask DisposeAsync()
        {
            Disposals++;
            return new ValueTask(new TaskCompletionSource().Task);
        }

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => Never<TValue>();

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) => Never<TValue>();

        private ValueTask<TValue> Never<TValue>()
        {
            Calls++;
            return new ValueTask<TValue>(new TaskCompletionSource<TValue>().Task);
        }
    }

    // A page whose picture an error replaced (its session could not open) keeps a reference to the removed view; when the
    // page then moves to another session it resets that view, which must do nothing rather than call a released module.
    [Fact]
    public async Task AViewTakenOutOfThePageIgnoresAReset()
    {
        var module = JSInterop.SetupModule("./js/frames.js");
        module.SetupVoid("attach", _ => true).SetVoidResult();
        module.SetupVoid("release", _ => true).SetVoidResult();
        var view = Render<FrameView>();
        view.WaitForAssertion(() => Assert.Contains(JSInterop.Invocations, i => i.Identifier == "attach"));
        var removed = view.Instance;

        await DisposeComponentsAsync();
        await removed.ResetAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.DoesNotContain(JSInterop.Invocations, i => i.Identifier == "reset");
    }
}
