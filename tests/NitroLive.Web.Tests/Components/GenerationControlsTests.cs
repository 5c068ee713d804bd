using Bunit;
using MudBlazor;
using NitroLive.Web.Components.Parts;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Components;

/// <summary>The session's settings panel on its own.</summary>
public sealed class GenerationControlsTests : UiTestContext
{
    private static readonly LiveRequest Request = new("a red circle", 1, SeedMode.Fixed, 5, 128, 128, "tiny");

    // The field shows the seed the picture uses, or what is being typed marked as not one: never a seed it made up.
    [Fact]
    public void WhatIsNotASeedIsMarkedAndNotAppliedUntilAValidSeedArrives()
    {
        var changes = new List<LiveRequestPatch>();
        Render<MudPopoverProvider>();
        var controls = Render<GenerationControls>(p => p
            .Add(c => c.Request, Request)
            .Add(c => c.Limits, Live.Limits)
            .Add(c => c.Model, Live.Model)
            .Add(c => c.OnChange, patch => changes.Add(patch)));

        var seed = 5L;
        foreach (var text in new[] { "abc", "-3", "99999999999999999999999", "9007199254740992", "" })
        {
            // A seed from elsewhere first clears the previous mark, so each input has to set its own.
            controls.Render(p => p.Add(c => c.Request, Request with { Seed = ++seed }));
            controls.WaitForAssertion(() => Assert.DoesNotContain("A whole number", controls.Markup, StringComparison.Ordinal));
            TypeSeed(controls, text);
            controls.WaitForAssertion(() => Assert.Contains("A whole number from 0 to 9007199254740991", controls.Markup, StringComparison.Ordinal));
        }

        Assert.Empty(changes);

        TypeSeed(controls, " 42 ");
        controls.WaitForAssertion(() => Assert.Equal(42, Assert.Single(changes).Seed));
        Assert.DoesNotContain("A whole number", controls.Markup, StringComparison.Ordinal);

        // A seed from elsewhere (a restored thumbnail, Variation) replaces a typed mistake and its message.
        TypeSeed(controls, "nope");
        controls.WaitForAssertion(() => Assert.Contains("A whole number", controls.Markup, StringComparison.Ordinal));
        controls.Render(p => p.Add(c => c.Request, Request with { Seed = 77 }));
        controls.WaitForAssertion(() => Assert.DoesNotContain("A whole number", controls.Markup, StringComparison.Ordinal));
        Assert.Equal("77", controls.Find("[data-testid=seed] input, input[data-testid=seed]").GetAttribute("value"));
        Assert.Single(changes);
    }

    // Restoring a thumbnail drawn with the seed already in use changes no seed, yet the field must show it again.
    [Fact]
    public void ASeedThePageSetsAgainReplacesAMistakeEvenWhenItIsTheSeedInUse()
    {
        Render<MudPopoverProvider>();
        var controls = Render<GenerationControls>(p => p
            .Add(c => c.Request, Request)
            .Add(c => c.Limits, Live.Limits)
            .Add(c => c.Model, Live.Model));
        TypeSeed(controls, "5x");
        controls.WaitForAssertion(() => Assert.Contains("A whole number", controls.Markup, StringComparison.Ordinal));

        controls.Render(p => p.Add(c => c.Request, Request with { Prompt = "a red circle at the top" }));
        Assert.Contains("A whole number", controls.Markup, StringComparison.Ordinal); // a new prompt leaves the mistake to fix

        controls.Render(p => p.Add(c => c.SeedResets, 1));
        controls.WaitForAssertion(() => Assert.DoesNotContain("A whole number", controls.Markup, StringComparison.Ordinal));
        Assert.Equal("5", controls.Find("[data-testid=seed] input, input[data-testid=seed]").GetAttribute("value"));
    }

    // The seed field's help says what it is for now: how to apply a seed only where one can be typed.
    [Fact]
    public void TheSeedFieldsHelpFollowsWhatTheFieldIsForNow()
    {
        Render<MudPopoverProvider>();
        var controls = Render<GenerationControls>(p => p
            .Add(c => c.Request, Request)
            .Add(c => c.Limits, Live.Limits)
            .Add(c => c.Model, Live.Model));
        Assert.Contains("Enter or Tab applies it", controls.Markup, StringComparison.Ordinal);

        controls.Render(p => p.Add(c => c.Disabled, true)); // a viewer
        Assert.DoesNotContain("Enter or Tab", controls.Markup, StringComparison.Ordinal);

        controls.Render(p => p.Add(c => c.Disabled, false).Add(c => c.Request, Request with { SeedMode = SeedMode.PerRequest }));
        Assert.DoesNotContain("Enter or Tab", controls.Markup, StringComparison.Ordinal);
        Assert.Contains("each prompt gets a new one", controls.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void EachChoiceIsARadioGroupWhoseChosenItemIsItsOneTabStop()
    {
        Render<MudPopoverProvider>();
        var controls = Render<GenerationControls>(p => p
            .Add(c => c.Request, Request with { Steps = 2 })
            .Add(c => c.Limits, Live.Limits)
            .Add(c => c.Model, Live.Model));

        foreach (var name in new[] { "steps", "seed-mode", "size" })
        {
            var group = controls.Find($"[data-testid={name}]");
            Assert.Equal("radiogroup", group.GetAttribute("role"));
            var items = group.QuerySelectorAll("button");
            Assert.NotEmpty(items);
            Assert.All(items, item => Assert.Equal("radio", item.GetAttribute("role")));
            var stop = Assert.Single(items, item => item.GetAttribute("tabindex") == "0");
            Assert.Equal("true", stop.GetAttribute("aria-checked"));
            Assert.All(items.Where(item => item != stop), item => Assert.Equal("-1", item.GetAttribute("tabindex")));
        }

        Assert.Equal("2", controls.Find("[data-testid=steps] [tabindex='0']").TextContent.Trim());

        // A size no longer offered: no item is chosen, and the group's first item stays reachable with Tab.
        controls.Render(p => p.Add(c => c.Request, Request with { Width = 999, Height = 999 }));
        var sizes = controls.FindAll("[data-testid=size] button");
        Assert.Equal("0", sizes[0].GetAttribute("tabindex"));
        Assert.Single(sizes, item => item.GetAttribute("tabindex") == "0");
    }

    // Typed, then Enter or Tab: a seed applies whole, not digit by digit.
    private static void TypeSeed(IRenderedComponent<GenerationControls> controls, string text) =>
        controls.Find("[data-testid=seed] input, input[data-testid=seed]").Change(text);
}
