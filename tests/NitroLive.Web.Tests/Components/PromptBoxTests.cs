using Bunit;
using Microsoft.AspNetCore.Components;
using NitroLive.Web.Components.Parts;

namespace NitroLive.Web.Tests.Components;

public sealed class PromptBoxTests : UiTestContext
{
    private readonly List<string> _sent = [];

    [Fact]
    public async Task TypingSendsOnceWhenTypingPauses()
    {
        var box = RenderBox(canType: true);
        var input = box.Find("input");

        foreach (var text in new[] { "a", "a r", "a re", "a red" })
        {
            await input.InputAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = text });
            await AdvanceAsync(TimeSpan.FromMilliseconds(20));
        }

        Assert.Empty(_sent);

        await AdvanceAsync(TimeSpan.FromMilliseconds(60));
        box.WaitForAssertion(() => Assert.Equal(["a red"], _sent), Timeout);
    }

    [Fact]
    public async Task FastTypingStillSendsWithinMaxWait()
    {
        var box = RenderBox(canType: true);
        var input = box.Find("input");

        // A keystroke every 20 ms never leaves a 40 ms pause; the 150 ms max wait still sends while typing goes on.
        var text = string.Empty;
        for (var i = 0; i < 20; i++)
        {
            text += "x";
            await input.InputAsync(new ChangeEventArgs { Value = text });
            await AdvanceAsync(TimeSpan.FromMilliseconds(20));
        }

        box.WaitForAssertion(() => Assert.InRange(_sent.Count, 2, 4), Timeout);
        Assert.All(_sent, s => Assert.StartsWith("x", s, StringComparison.Ordinal));
        Assert.True(_sent.SequenceEqual(_sent.OrderBy(s => s.Length)), "sends follow the typing in order");
    }

    [Fact]
    public async Task EnterSendsAtOnce()
    {
        var box = RenderBox(canType: true);
        var input = box.Find("input");

        await input.InputAsync(new ChangeEventArgs { Value = "a blue square" });
        await input.KeyDownAsync(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter" });

        Assert.Equal(["a blue square"], _sent);

        // The debounced send that follows is the same text and is not sent twice.
        await AdvanceAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["a blue square"], _sent);
    }

    [Fact]
    public void ViewerFieldIsReadOnlyAndFollowsTheSessionPrompt()
    {
        var box = RenderBox(canType: false, sessionPrompt: "a red");
        Assert.True(box.Find("input").HasAttribute("readonly"));
        Assert.Equal("a red", box.Find("input").GetAttribute("value"));

        box.Render(p => p.Add(b => b.SessionPrompt, "a red circle"));

        Assert.Equal("a red circle", box.Find("input").GetAttribute("value"));
        Assert.Empty(_sent);
    }

    [Fact]
    public async Task ViewerKeystrokesSendNothing()
    {
        var box = RenderBox(canType: false, sessionPrompt: "shared");
        await box.Find("input").InputAsync(new ChangeEventArgs { Value = "mine" });
        await AdvanceAsync(TimeSpan.FromMilliseconds(300));
        Assert.Empty(_sent);
    }

    [Fact]
    public async Task AnOlderEchoDoesNotOverwriteWhatTheTypistIsTyping()
    {
        var box = RenderBox(canType: true, sessionPrompt: string.Empty);
        var input = box.Find("input");
        await input.InputAsync(new ChangeEventArgs { Value = "a red circ" });

        // The session's state still carries an older prompt of this same typist.
        box.Render(p => p.Add(b => b.SessionPrompt, "a red"));
        Assert.Equal("a red circ", box.Find("input").GetAttribute("value"));

        // Once the typist has paused, another member's prompt shows up.
        await AdvanceAsync(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(100));
        box.Render(p => p.Add(b => b.SessionPrompt, "a green triangle"));
        Assert.Equal("a green triangle", box.Find("input").GetAttribute("value"));
    }

    private IRenderedComponent<PromptBox> RenderBox(bool canType, string? sessionPrompt = null) =>
        Render<PromptBox>(p => p
            .Add(b => b.CanType, canType)
            .Add(b => b.SessionPrompt, sessionPrompt)
            .Add(b => b.DebounceMs, 40)
            .Add(b => b.MaxWaitMs, 150)
            .Add(b => b.OnSend, (string text) => _sent.Add(text)));
}
