using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MudBlazor;
using NitroLive.Web.Extensions;
using NitroLive.Web.Components.Pages;
using NitroLive.Web.Components.Services;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Components;

public sealed class UiServicesTests
{
    [Theory]
    [InlineData("a forbidden castle", true)]
    [InlineData("A FORBIDDEN castle!", true)]
    [InlineData("forbidden", true)]
    [InlineData("a castle", false)]
    [InlineData("unforbiddenly", false)]
    [InlineData("bad wordsmith here", true)]
    [InlineData("bad, word", true)]
    [InlineData("bad sword", false)]
    [InlineData("", false)]
    public void TheBlocklistMatchesWholeWordsAndPhrases(string prompt, bool blocked)
    {
        var blocklist = new PromptBlocklist(["forbidden", "bad word*", "  "]);
        Assert.Equal(blocked, blocklist.IsBlocked(prompt));
    }

    // The browser gives up on a silent server after the timeout in wwwroot/js/boot.js; the server's pings to each circuit
    // must come at least twice within it, or an idle page would drop its connection.
    [Fact]
    public void TheServerPingsEachCircuitAtLeastTwiceWithinTheBrowsersTimeout()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        services.AddNitroUi();
        using var provider = services.BuildServiceProvider();
        var hub = typeof(Microsoft.AspNetCore.Components.Server.CircuitOptions).Assembly.GetType("Microsoft.AspNetCore.Components.Server.ComponentHub", throwOnError: true)!;
        var options = provider.GetRequiredService(typeof(IOptions<>).MakeGenericType(typeof(Microsoft.AspNetCore.SignalR.HubOptions<>).MakeGenericType(hub)));
        var value = (Microsoft.AspNetCore.SignalR.HubOptions)options.GetType().GetProperty("Value")!.GetValue(options)!;

        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "NitroLive.sln")))
        {
            root = root.Parent ?? throw new InvalidOperationException("NitroLive.sln not found above the test's folder");
        }

        var boot = File.ReadAllText(Path.Combine(root.FullName, "wwwroot", "js", "boot.js"));
        var match = System.Text.RegularExpressions.Regex.Match(boot, @"withServerTimeout\(([0-9_]+)\)");
        Assert.True(match.Success, "boot.js sets no server timeout");
        var browserTimeout = TimeSpan.FromMilliseconds(double.Parse(match.Groups[1].Value.Replace("_", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(TimeSpan.FromSeconds(12), browserTimeout);
        Assert.NotNull(value.KeepAliveInterval);
        Assert.True(value.KeepAliveInterval * 2 <= browserTimeout, $"pings every {value.KeepAliveInterval}, browser timeout {browserTimeout}");
    }

    [Fact]
    public void AnEmptyBlocklistBlocksNothing()
    {
        var blocklist = new PromptBlocklist([]);
        Assert.False(blocklist.IsActive);
        Assert.False(blocklist.IsBlocked("anything at all"));
    }

    [Fact]
    public void FrameStatsMeasureFpsAndKeystrokeToPaint()
    {
        var clock = new FakeTimeProvider();
        var stats = new FrameStats(clock);
        stats.RequestSent(5);
        clock.Advance(TimeSpan.FromMilliseconds(120));
        stats.FrameShown(Frame(5), deliveryMs: 7);

        Assert.Equal(120, stats.LastEndToEndMs!.Value, 3);
        Assert.Equal(7, stats.LastDeliveryMs);
        Assert.Equal(4, stats.LastBytes);

        for (var i = 0; i < 10; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            stats.FrameShown(Frame(6), deliveryMs: 5);
        }

        Assert.InRange(stats.Fps, 9.5, 10.5);
        Assert.Null(stats.LastEndToEndMs);

        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, stats.Fps);
    }

    [Fact]
    public void TheJoinQrCodeEncodesTheSessionLinkAndRefusesOtherText()
    {
        Assert.True(JoinQrCode.IsValidSessionId("AbC-123_xyz"));
        Assert.False(JoinQrCode.IsValidSessionId("https://evil.example/"));
        Assert.False(JoinQrCode.IsValidSessionId("a b"));
        Assert.False(JoinQrCode.IsValidSessionId(new string('a', 65)));

        var svg = JoinQrCode.Svg("http://127.0.0.1:5000/s/AbC-123_xyz");
        Assert.StartsWith("<svg", svg.TrimStart(), StringComparison.Ordinal);
        Assert.Contains("viewBox", svg, StringComparison.Ordinal);
        Assert.NotEqual(JoinQrCode.Svg("http://127.0.0.1:5000/s/other"), svg);
    }

    [Fact]
    public void ToastsAppearAtTheBottomRightOnceEach()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddNitroUi();
        using var provider = services.BuildServiceProvider();

        var toasts = provider.GetRequiredService<IOptions<SnackbarConfiguration>>().Value;

        Assert.Equal(Defaults.Classes.Position.BottomRight, toasts.PositionClass);
        Assert.True(toasts.PreventDuplicates);
    }

    [Theory]
    [InlineData("A red circle, on a blue background!", 3, "nitrolive-a-red-circle-on-a-blue-background-3.png")]
    [InlineData("", 1, "nitrolive-frame-1.png")]
    [InlineData("../../etc/passwd", 2, "nitrolive-etc-passwd-2.png")]
    public void DownloadNamesAreSafeAndReadable(string prompt, long seed, string expected) =>
        Assert.Equal(expected, FileNames.ForFrame(prompt, seed));

    [Fact]
    public void TheReadmeGetsGitHubStyleAnchors()
    {
        var blocks = MarkdownLite.Parse("# NitroLive\n\nText <b>here</b>.\n\n## Real models\n\n```bash\nrun\n```\n- item");
        Assert.Contains(blocks, b => b.Kind == MarkdownLite.BlockKind.Heading2 && b.Anchor == "real-models");
        Assert.Contains(blocks, b => b.Kind == MarkdownLite.BlockKind.Code && b.Text == "run");
        Assert.Contains(blocks, b => b.Kind == MarkdownLite.BlockKind.Paragraph && b.Text == "Text <b>here</b>.");
    }

    [Fact]
    public void AFullPictureAfterItsDraftKeepsTheDraftsKeystrokeToPaint()
    {
        var clock = new FakeTimeProvider();
        var stats = new FrameStats(clock);
        stats.RequestSent(5);
        clock.Advance(TimeSpan.FromMilliseconds(12));
        stats.FrameShown(Frame(5, steps: 4, draftSteps: 1), deliveryMs: 3);
        Assert.Equal(12, stats.LastEndToEndMs!.Value, 3);
        Assert.False(stats.EndToEndIsTheDrafts);

        // The full picture waited for a pause in typing on purpose: the keystroke was answered by the draft.
        clock.Advance(TimeSpan.FromMilliseconds(320));
        stats.FrameShown(Frame(5, steps: 4), deliveryMs: 3);
        Assert.Equal(12, stats.LastEndToEndMs!.Value, 3);
        Assert.True(stats.EndToEndIsTheDrafts);

        // The next keystroke's frame is measured again.
        stats.RequestSent(6);
        clock.Advance(TimeSpan.FromMilliseconds(30));
        stats.FrameShown(Frame(6, steps: 4, draftSteps: 1), deliveryMs: 3);
        Assert.Equal(30, stats.LastEndToEndMs!.Value, 3);
        Assert.False(stats.EndToEndIsTheDrafts);
    }

    private static LiveFrame Frame(long requestId, int steps = 1, int? draftSteps = null) => new(
        "s", requestId, requestId, new LiveRequest("p", steps, SeedMode.Fixed, 1, 64, 64, "tiny"), FrameFormat.Jpeg,
        [1, 2, 3, 4], 64, 64, new FrameTimings(0, 0, 0, 0, 0, 0, 0, 10, 1, false, "CPU"), DateTimeOffset.UnixEpoch, draftSteps);
}
