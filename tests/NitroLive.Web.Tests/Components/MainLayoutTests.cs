using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using NitroLive.Web.Components.Layout;

namespace NitroLive.Web.Tests.Components;

public sealed class MainLayoutTests : UiTestContext
{
    [Fact]
    public void AThemeTheBrowserCannotReadLeavesTheDefaultThemeAndThePageUp()
    {
        var app = JSInterop.SetupModule("./js/app.js");
        app.Setup<string>("getTheme").SetException(new JSException("Storage is blocked in this browser."));

        var layout = Render<MainLayout>(p => p.Add(l => l.Body, (RenderFragment)(b => b.AddContent(0, "the page's body"))));

        layout.WaitForAssertion(() => Assert.Single(app.Invocations, i => i.Identifier == "getTheme"), Timeout);
        Assert.Contains("the page's body", layout.Markup, StringComparison.Ordinal);
        Assert.Equal("Light theme", layout.Find(".nl-appbar button").GetAttribute("title"));
    }
}
