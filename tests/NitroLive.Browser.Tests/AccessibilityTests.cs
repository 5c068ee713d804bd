using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace NitroLive.Browser.Tests;

/// <summary>
/// axe-core (Deque's engine, the one browsers' accessibility audits use) over every page in the states people see
/// them in: the studio with a picture in both themes and on a phone, the HUD opened, with a viewer and a typist, a viewer
/// of a shared session, the kiosk, the README and the pages for an unknown address or session; and the skip links work. Any rule it reports fails the test, with the rule, the elements and what to fix.
/// </summary>
[Collection(BrowserTestGroup.Name)]
public sealed class AccessibilityTests(BrowserFixture fixture)
{
    [Fact]
    public async Task EveryPagePassesAnAxeAuditInBothThemesAndOnAPhone()
    {
        var problems = new List<string>();

        await using (var context = await fixture.NewContextAsync())
        {
            var studio = await fixture.OpenStudioAsync(context);
            await LivePagesTests.TypeAsync(studio, LivePagesTests.RedCircle);
            await PageProbe.WaitForPixelsAsync(studio, p => p.Width > 0, "a picture");
            await AuditAsync(studio, "studio, dark", problems);
            Assert.Equal("NitroLive studio", await studio.TitleAsync());

            await studio.Locator("[data-testid=hud] button").ClickAsync();
            await LivePagesTests.Expect(studio.Locator("[data-testid=hud-details]")).ToBeVisibleAsync();
            await studio.Locator("[data-testid=theme-toggle]").ClickAsync();
            await LivePagesTests.Expect(studio.Locator("html")).ToHaveAttributeAsync("data-theme", "light");
            await AuditAsync(studio, "studio, light, HUD open", problems);

            var shareUrl = await studio.Locator("[data-testid=share-url]").GetAttributeAsync("href");
            Assert.NotNull(shareUrl);
            await using var viewerContext = await fixture.NewContextAsync();
            var viewer = await viewerContext.NewPageAsync();
            await viewer.GotoAsync(shareUrl);
            await LivePagesTests.Expect(viewer.Locator("[data-testid=studio]")).ToHaveAttributeAsync("data-role", "Viewer");
            await PageProbe.WaitForPixelsAsync(viewer, p => p.Width > 0, "the owner's picture");
            await AuditAsync(viewer, "shared session, viewer", problems);
            await LivePagesTests.Expect(studio.Locator("[data-testid=grant]")).ToBeVisibleAsync();
            await AuditAsync(studio, "studio with a viewer", problems);
            await studio.Locator("[data-testid=grant]").ClickAsync();
            await LivePagesTests.Expect(studio.Locator("[data-testid=revoke]")).ToBeVisibleAsync();
            await AuditAsync(studio, "studio with a typist", problems);

            // The page's first focusable elements are its skip links, to the prompt where there is one, then to the content.
            await FollowFirstSkipLinkAsync(viewer, "Skip to the prompt", "#prompt");

            var readme = await context.NewPageAsync();
            await readme.GotoAsync(fixture.App.BaseAddress + "readme");
            await LivePagesTests.Expect(readme.Locator("[data-testid=readme] h1").First).ToContainTextAsync("NitroLive");
            await AuditAsync(readme, "README", problems);
            await FollowFirstSkipLinkAsync(readme, "Skip to the content", "main");

            foreach (var (path, what) in new[] { ("no-such-page", "an unknown address"), ("s/AAAAAAAAAAAAAAAAAAAAAA", "an unknown session") })
            {
                var missing = await context.NewPageAsync();
                await missing.GotoAsync(fixture.App.BaseAddress + path);
                await LivePagesTests.Expect(missing.Locator("main h1, main h2").First).ToBeVisibleAsync();
                await AuditAsync(missing, what, problems);

                // Both cards centred on the page (the unknown session's sat in the studio's left column).
                var card = await missing.Locator(".nl-page-error").First.BoundingBoxAsync() ?? throw new InvalidOperationException($"no card for {what}");
                var middle = await missing.EvaluateAsync<double>("() => document.documentElement.clientWidth / 2");
                Assert.True(Math.Abs(card.X + card.Width / 2 - middle) < 4, $"the card for {what} is centred at {card.X + card.Width / 2:0} px, the page at {middle:0}");
            }

            var kiosk = await context.NewPageAsync();
            await kiosk.GotoAsync(fixture.App.BaseAddress + "kiosk");
            await LivePagesTests.Expect(kiosk.Locator("[data-testid=kiosk-qr]")).ToBeVisibleAsync();
            await AuditAsync(kiosk, "kiosk", problems);
        }

        await using (var phone = await fixture.NewContextAsync(width: 390, height: 844, mobile: true))
        {
            var studio = await fixture.OpenStudioAsync(phone);
            await LivePagesTests.TypeAsync(studio, LivePagesTests.RedCircle);
            await PageProbe.WaitForPixelsAsync(studio, p => p.Width > 0, "a picture");
            await AuditAsync(studio, "studio, phone", problems);
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task NothingMovesForSomeoneWhoAsksForLessMotion()
    {
        await using var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            ColorScheme = ColorScheme.Dark,
            ReducedMotion = ReducedMotion.Reduce,
        });
        var studio = await fixture.OpenStudioAsync(context);
        const string Motion = """
            () => [...document.querySelectorAll("button, a, .mud-toggle-item, .mud-switch *, .mud-input *")].map(e => getComputedStyle(e))
                .reduce((sum, s) => sum + parseFloat(s.transitionDuration) + parseFloat(s.animationDuration), 0)
            """;
        Assert.Equal(0, await studio.EvaluateAsync<double>(Motion));

        // Nothing fades on a theme switch: the new colours are there at once.
        var theme = await studio.Locator("html").GetAttributeAsync("data-theme");
        await studio.Locator("[data-testid=theme-toggle]").ClickAsync();
        await LivePagesTests.Expect(studio.Locator("html")).Not.ToHaveAttributeAsync("data-theme", theme!);
        Assert.Equal(0, await studio.EvaluateAsync<int>("() => document.getAnimations().filter(a => a instanceof CSSTransition).length"));

        // The same page for everybody else does animate, so the check above can fail.
        await using var usual = await fixture.NewContextAsync();
        var moving = await fixture.OpenStudioAsync(usual);
        Assert.True(await moving.EvaluateAsync<double>(Motion) > 0);
    }

    // MudBlazor's own rules take the outline off buttons and links; every control reached with Tab must show a ring
    // (text fields show focus with their own border instead), in both themes.
    [Fact]
    public async Task EveryControlReachedWithTheKeyboardShowsAFocusRing()
    {
        await using var context = await fixture.NewContextAsync();
        var studio = await fixture.OpenStudioAsync(context);
        await LivePagesTests.TypeAsync(studio, LivePagesTests.RedCircle);
        await PageProbe.WaitForPixelsAsync(studio, p => p.Width > 0, "a picture");
        const string Focused = """
            () => {
              const e = document.activeElement;
              if (!e || e === document.body) {
                // Past the last control the focus leaves the page: nothing to ring.
                return { what: "the page", ring: true };
              }
              const s = getComputedStyle(e);
              const ownBorder = e.matches(".mud-input-slot, .mud-input-slot *, input[type=checkbox], input[type=radio]");
              return {
                what: `${e.tagName.toLowerCase()} "${(e.getAttribute("aria-label") ?? e.textContent ?? "").trim().slice(0, 30)}"`,
                ring: ownBorder || (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2),
              };
            }
            """;

        var unseen = new List<string>();
        var reached = 0;
        foreach (var theme in new[] { "first", "second" })
        {
            await studio.Locator("#prompt").FocusAsync();
            for (var i = 0; i < 20; i++)
            {
                await studio.Keyboard.PressAsync("Tab");
                var focus = await studio.EvaluateAsync<System.Text.Json.JsonElement>(Focused);
                reached++;
                if (!focus.GetProperty("ring").GetBoolean())
                {
                    unseen.Add($"{theme} theme: {focus.GetProperty("what").GetString()}");
                }
            }

            await studio.Locator("[data-testid=theme-toggle]").ClickAsync();
        }

        Assert.True(unseen.Count == 0, $"No focus ring on {unseen.Count} of {reached} stops: " + string.Join("; ", unseen.Distinct()));
    }

    // Steps, Seed, Model and Size are each one choice of several: announced as radio buttons (MudBlazor's toggle group
    // said "checkbox"), one tab stop per group, and the arrow keys move the choice as native radios do.
    [Fact]
    public async Task TheSettingsChoicesAreRadioGroupsTheArrowKeysMoveThrough()
    {
        await using var context = await fixture.NewContextAsync();
        var studio = await fixture.OpenStudioAsync(context);
        var steps = studio.Locator("[data-testid=steps][role=radiogroup]");
        var chosen = steps.Locator("[role=radio][aria-checked=true]");
        await LivePagesTests.Expect(chosen).ToHaveTextAsync("1");
        await LivePagesTests.Expect(steps.Locator("[role=radio][tabindex='0']")).ToHaveCountAsync(1);

        await chosen.FocusAsync();
        await studio.Keyboard.PressAsync("ArrowRight");
        await LivePagesTests.Expect(chosen).ToHaveTextAsync("2");
        await LivePagesTests.Expect(steps.Locator("[role=radio]", new() { HasTextString = "2" })).ToBeFocusedAsync();
        await studio.Keyboard.PressAsync("End");
        await LivePagesTests.Expect(chosen).ToHaveTextAsync("4");
        await studio.Keyboard.PressAsync("ArrowRight"); // past the last: round to the first, as radios do
        await LivePagesTests.Expect(chosen).ToHaveTextAsync("1");

        // Tab leaves the group from its chosen item instead of visiting every step.
        await LivePagesTests.Expect(steps.Locator("[role=radio][tabindex='0']")).ToHaveTextAsync("1");
        await studio.Keyboard.PressAsync("Tab");
        Assert.False(await steps.EvaluateAsync<bool>("group => group.contains(document.activeElement)"));
    }

    private static async Task FollowFirstSkipLinkAsync(IPage page, string text, string target)
    {
        var first = page.Locator("a[href], button, input, select, textarea, [tabindex]:not([tabindex='-1'])").First;
        await LivePagesTests.Expect(first).ToHaveTextAsync(text);
        await first.FocusAsync();
        await LivePagesTests.Expect(first).ToBeInViewportAsync();
        await page.Keyboard.PressAsync("Enter");
        await LivePagesTests.Expect(page.Locator(target)).ToBeFocusedAsync();
    }

    private static async Task AuditAsync(IPage page, string where, List<string> problems)
    {
        // Colours are judged as painted: a theme switch fades for a moment, and its middle frames are nobody's theme.
        await PageProbe.WaitForAsync(page, "() => document.getAnimations().every(a => !(a instanceof CSSTransition))",
            BrowserFixture.UiTimeout, "colour transitions to end");
        var result = await page.RunAxe();
        foreach (var rule in result.Violations)
        {
            var elements = string.Join("; ", rule.Nodes.Take(3).Select(n => $"{n.Target}: {n.Any.Concat(n.All).Concat(n.None).Select(c => c.Message).FirstOrDefault()}"));
            problems.Add($"{where}: [{rule.Impact}] {rule.Id}: {rule.Help} ({rule.Nodes.Length}) {elements}");
        }
    }
}
