using System.Globalization;

namespace NitroLive.Browser.Tests;

/// <summary>
/// The reconnect dialog's script once Blazor has given up (its "failed" state). Blazor's own retries take minutes to
/// run out, so the test announces the state itself, as Blazor does, and counts the reconnections the script asks for;
/// the real reconnection after a dropped socket is covered in <see cref="LivePagesTests"/>.
/// </summary>
[Collection(BrowserTestGroup.Name)]
public sealed class ReconnectDialogTests(BrowserFixture fixture)
{
    private static readonly TimeSpan OneRecovery = TimeSpan.FromSeconds(20);

    // With the socket down and HTTP up (a proxy dropping WebSockets), Blazor's failed sends raise its error bar under
    // the reconnect dialog, and it stayed after the page had recovered.
    [Fact]
    public async Task TheErrorBarStaysHiddenWhileTheConnectionIsDownAndShowsForErrorsOnceItIsBack()
    {
        await using var context = await fixture.NewContextAsync().WaitAsync(BrowserFixture.UiTimeout);
        var studio = await fixture.OpenStudioAsync(context).WaitAsync(BrowserFixture.UiTimeout);
        const string Announce = """
            (state) => document.getElementById("components-reconnect-modal")
              .dispatchEvent(new CustomEvent("components-reconnect-state-changed", { detail: { state } }))
            """;
        const string RaiseErrorBar = """
            async () => {
              const bar = document.getElementById("blazor-error-ui");
              bar.style.display = "block";
              await new Promise(resolve => setTimeout(resolve, 50));
              return getComputedStyle(bar).display;
            }
            """;

        await studio.EvaluateAsync(Announce, "show").WaitAsync(BrowserFixture.UiTimeout);
        var duringOutage = await studio.EvaluateAsync<string>(RaiseErrorBar).WaitAsync(BrowserFixture.UiTimeout);
        await studio.EvaluateAsync(Announce, "hide").WaitAsync(BrowserFixture.UiTimeout);
        var connected = await studio.EvaluateAsync<string>(RaiseErrorBar).WaitAsync(BrowserFixture.UiTimeout);

        Assert.Equal("none", duringOutage);
        Assert.Equal("block", connected);
    }

    // Keystrokes typed while the socket was down are lost on the way (Blazor drops events it cannot send): the field
    // showed the new prompt and the picture stayed on the old one until the next keystroke.
    [Fact]
    public async Task WhatWasTypedDuringAnOutageIsSentOnceTheConnectionIsBack()
    {
        await using var context = await fixture.NewContextAsync().WaitAsync(BrowserFixture.UiTimeout);
        var studio = await fixture.OpenStudioAsync(context).WaitAsync(BrowserFixture.UiTimeout);
        await LivePagesTests.UseGoodSeedAsync(studio);
        await LivePagesTests.TypeAsync(studio, "a red circle");
        await PageProbe.WaitForPixelsAsync(studio, p => p.RedCenter, "a red centre");

        // The outage: the dialog opens, and the rest of the prompt reaches the field but not the server.
        await studio.EvaluateAsync(
            """
            () => {
              const modal = document.getElementById("components-reconnect-modal");
              modal.dispatchEvent(new CustomEvent("components-reconnect-state-changed", { detail: { state: "show" } }));
              document.getElementById("prompt").value = "a red circle on a blue background";
              modal.dispatchEvent(new CustomEvent("components-reconnect-state-changed", { detail: { state: "hide" } }));
            }
            """).WaitAsync(BrowserFixture.UiTimeout);

        await PageProbe.WaitForPixelsAsync(studio, p => p.RedCenter && p.BlueBackground, "the whole prompt's picture, red on blue");
    }

    [Fact]
    public async Task ASecondLossInTheSamePageStartsItsOwnRecovery()
    {
        await using var context = await fixture.NewContextAsync().WaitAsync(BrowserFixture.UiTimeout);
        var studio = await fixture.OpenStudioAsync(context).WaitAsync(BrowserFixture.UiTimeout);
        await studio.EvaluateAsync(
            """
            () => {
              globalThis.__reconnects = 0;
              Blazor.reconnect = async () => { globalThis.__reconnects++; return true; };
            }
            """).WaitAsync(BrowserFixture.UiTimeout);

        for (var loss = 1; loss <= 2; loss++)
        {
            await studio.EvaluateAsync(
                """
                () => document.getElementById("components-reconnect-modal")
                  .dispatchEvent(new CustomEvent("components-reconnect-state-changed", { detail: { state: "failed" } }))
                """).WaitAsync(BrowserFixture.UiTimeout);
            var expected = loss.ToString(CultureInfo.InvariantCulture);
            await PageProbe.WaitForAsync(studio, $"() => globalThis.__reconnects === {expected}", OneRecovery,
                $"reconnection {expected} (the script asks once the server answers, every 5 s)");
        }
    }

    // A connection that stalls without closing (nothing arrives either way, the socket stays open) was silent for
    // SignalR's 30 s. Now the server pings every 5 s and the browser gives up after 12 s of silence: the dialog opens,
    // and once messages flow again the page reconnects to its own circuit. An idle page that is connected stays quiet.
    [Fact]
    public async Task AConnectionThatStallsWithoutClosingOpensTheDialogWithinSecondsAndRecovers()
    {
        await using var context = await fixture.NewContextAsync().WaitAsync(BrowserFixture.UiTimeout);
        var stalled = false;
        await context.RouteWebSocketAsync(new System.Text.RegularExpressions.Regex("/_blazor"), socket =>
        {
            var server = socket.ConnectToServer();
            socket.OnMessage(frame =>
            {
                if (!Volatile.Read(ref stalled))
                {
                    PageProbe.Forward(frame, server.Send, server.Send);
                }
            });
            server.OnMessage(frame =>
            {
                if (!Volatile.Read(ref stalled))
                {
                    PageProbe.Forward(frame, socket.Send, socket.Send);
                }
            });

            // A stalled network carries no close either: the server giving up on the silent browser (after its own 30 s)
            // must not tell the page, or the page would learn of the stall from that instead of its own timeout.
            server.OnClose((code, reason) =>
            {
                if (!Volatile.Read(ref stalled))
                {
                    _ = socket.CloseAsync(new() { Code = code, Reason = reason });
                }
            });
            socket.OnClose((code, reason) => _ = server.CloseAsync(new() { Code = code, Reason = reason }));
        }).WaitAsync(BrowserFixture.UiTimeout);
        var studio = await fixture.OpenStudioAsync(context).WaitAsync(BrowserFixture.UiTimeout);
        var session = await studio.Locator("[data-testid=studio]").GetAttributeAsync("data-session").WaitAsync(BrowserFixture.UiTimeout);

        // Idle but connected for longer than the browser's 12 s: the server's pings keep it from giving up.
        await studio.WaitForTimeoutAsync(14_000).WaitAsync(BrowserFixture.UiTimeout);
        Assert.False(await studio.EvaluateAsync<bool>("() => document.getElementById('components-reconnect-modal').open").WaitAsync(BrowserFixture.UiTimeout));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Volatile.Write(ref stalled, true);
        await PageProbe.WaitForAsync(studio, "() => document.getElementById('components-reconnect-modal').open", TimeSpan.FromSeconds(25),
            "the reconnect dialog after the connection went silent");
        var noticed = clock.Elapsed;
        Volatile.Write(ref stalled, false);

        Assert.InRange(noticed, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(20)); // 12 s after the last ping (5 s apart), not 30
        await PageProbe.WaitForAsync(studio, "() => !document.getElementById('components-reconnect-modal').open", OneRecovery,
            "the dialog closed once the connection was back");
        Assert.Equal(session, await studio.Locator("[data-testid=studio]").GetAttributeAsync("data-session").WaitAsync(BrowserFixture.UiTimeout));
    }
}
