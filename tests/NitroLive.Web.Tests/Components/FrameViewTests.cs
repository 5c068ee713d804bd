using Bunit;
using NitroLive.Web.Components.Parts;

namespace NitroLive.Web.Tests.Components;

/// <summary>The picture component on its own.</summary>
public sealed class FrameViewTests : UiTestContext
{
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
