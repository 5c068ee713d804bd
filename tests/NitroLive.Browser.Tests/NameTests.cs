using Microsoft.Playwright;

namespace NitroLive.Browser.Tests;

/// <summary>"Your name" in a real browser: the others see it at once, a reload keeps it, and the next session starts with it.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class NameTests(BrowserFixture fixture)
{
    private const string NameInput = "[data-testid=name-input] input, input[data-testid=name-input]";

    private static float Ms => (float)BrowserFixture.UiTimeout.TotalMilliseconds;

    private static LocatorAssertionsToHaveTextOptions Within => new() { Timeout = Ms };

    [Fact]
    public async Task AGuestsNameReachesTheOwnerAndStaysWithTheirBrowser()
    {
        await using var ownerContext = await fixture.NewContextAsync();
        var owner = await fixture.OpenStudioAsync(ownerContext);
        await LivePagesTests.TypeAsync(owner, "a red circle");
        var shareUrl = await owner.Locator("[data-testid=share-url]").GetAttributeAsync("href");

        await using var guestContext = await fixture.NewContextAsync();
        var guest = await guestContext.NewPageAsync();
        await guest.GotoAsync(shareUrl!);
        await Assertions.Expect(guest.Locator("[data-testid=studio]")).ToHaveAttributeAsync("data-role", "Viewer", new() { Timeout = Ms });
        await Assertions.Expect(guest.Locator("[data-testid=prompt-box]")).ToContainTextAsync("typed by Host", new() { Timeout = Ms });

        // Enter applies it; the owner's list shows it, not the generated name.
        var field = guest.Locator(NameInput);
        await field.FillAsync("Robin");
        await field.PressAsync("Enter");
        var guestEntry = owner.Locator("[data-testid=member]").Nth(1).Locator(".nl-member-name");
        await Assertions.Expect(guestEntry).ToHaveTextAsync("Robin", Within);

        // The owner's name is the owner's: refused, with why, under the field.
        await field.FillAsync("host");
        await field.PressAsync("Tab");
        await Assertions.Expect(guest.Locator("[data-testid=name]")).ToContainTextAsync("the owner's name", new() { Timeout = Ms });
        await Assertions.Expect(guestEntry).ToHaveTextAsync("Robin");

        // The owner renames in the list's card: the guest's prompt label names them at once, and so does the guest's list.
        var ownerField = owner.Locator("[data-testid=members]").Locator(NameInput);
        await ownerField.FillAsync("Maya");
        await ownerField.PressAsync("Enter");
        await Assertions.Expect(guest.Locator("[data-testid=prompt-box]")).ToContainTextAsync("typed by Maya", new() { Timeout = Ms });
        await Assertions.Expect(guest.Locator("[data-testid=member] .nl-member-line")).ToHaveTextAsync(["Maya", "Robin (you)"], new() { Timeout = Ms });
        await Assertions.Expect(guest.Locator("[data-testid=grant], [data-testid=revoke], [data-testid=typing-open]")).ToHaveCountAsync(0);
        await PageProbe.ScreenshotAsync(guest, "guest-name-field");
        await PageProbe.ScreenshotAsync(owner, "owner-name-in-members");

        // A reload is the same guest under the same name.
        await guest.ReloadAsync();
        await Assertions.Expect(guest.Locator("[data-testid=studio]")).ToHaveAttributeAsync("data-role", "Viewer", new() { Timeout = Ms });
        await Assertions.Expect(guest.Locator(NameInput)).ToHaveValueAsync("Robin");
        await Assertions.Expect(owner.Locator("[data-testid=member]")).ToHaveCountAsync(2, new() { Timeout = Ms });
        await Assertions.Expect(guestEntry).ToHaveTextAsync("Robin", Within);

        // Their own studio (a new session) starts under the name this browser chose.
        var own = await guestContext.NewPageAsync();
        await own.GotoAsync(fixture.App.BaseAddress.ToString());
        await Assertions.Expect(own.Locator("[data-testid=studio]")).ToHaveAttributeAsync("data-role", "Owner", new() { Timeout = Ms });
        await Assertions.Expect(own.Locator("[data-testid=members] .nl-member-line")).ToHaveTextAsync("Robin (you)", Within);
    }
}
