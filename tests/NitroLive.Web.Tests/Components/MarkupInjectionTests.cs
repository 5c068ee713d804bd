using Bunit;
using MudBlazor;
using NitroLive.Web.Components.Pages;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Components;

/// <summary>
/// Prompts and display names come from other people (the public hub, a phone that scanned the kiosk's code) and are
/// shown on every screen of the session: they must arrive as text, never as markup.
/// </summary>
public sealed class MarkupInjectionTests : UiTestContext
{
    private const string HostilePrompt = "\" onmouseover=\"alert(0)\" x=\"<img src=x onerror=alert(1)><script>alert(2)</script>a red circle";
    private const string HostileName = "<b data-injected=1 onmouseover=alert(3)>Mallory</b>";

    [Fact]
    public void AHostilePromptAndNameShowAsTextInTheStudio()
    {
        Render<MudPopoverProvider>();
        var page = Render<Studio>();
        page.WaitForAssertion(() => page.Find("[data-testid=members]"));
        var session = Live.OnlySession();
        Live.JoinSession(session.Id, LiveRole.Viewer, HostileName);
        session.Change(new LiveRequestPatch(Prompt: HostilePrompt));
        session.PublishFrame(session.Request with { Prompt = HostilePrompt });

        page.WaitForAssertion(() => Assert.Contains("Mallory", page.Find("[data-testid=members]").TextContent, StringComparison.Ordinal));
        page.WaitForAssertion(() => Assert.Equal(HostilePrompt, page.Find("#prompt").GetAttribute("value")));

        Assert.Contains(HostileName, page.Find("[data-testid=members]").TextContent, StringComparison.Ordinal);
        AssertNothingInjected(page);
    }

    [Fact]
    public void AHostilePromptShowsAsTextInTheKioskCaption()
    {
        Render<MudPopoverProvider>();
        var page = Render<Kiosk>();
        page.WaitForAssertion(() => page.Find("[data-testid=kiosk-qr]"));
        var session = Live.OnlySession();
        var phone = Live.JoinSession(session.Id, LiveRole.Typist, HostileName);
        phone.SetPrompt(HostilePrompt);
        session.PublishFrame(session.Request with { Prompt = HostilePrompt });

        // Its end, as the kiosk shows a long prompt's (from "<img" on here): still as text.
        page.WaitForAssertion(() => Assert.Equal(Kiosk.TailOf(HostilePrompt, Kiosk.CaptionChars), page.Find("[data-testid=kiosk-caption]").TextContent));
        Assert.Contains("<img src=x onerror=alert(1)>", page.Find("[data-testid=kiosk-caption]").TextContent, StringComparison.Ordinal);
        AssertNothingInjected(page);
    }

    private static void AssertNothingInjected(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> page)
    {
        // Read the DOM the markup parses to, as a browser would: no element, attribute or script came from the text.
        Assert.Empty(page.FindAll("img[src=x]"));
        Assert.Empty(page.FindAll("[data-injected]"));
        Assert.Empty(page.FindAll("[onmouseover], [onerror]"));
        Assert.DoesNotContain(page.FindAll("script"), e => e.TextContent.Contains("alert", StringComparison.Ordinal));
    }
}
