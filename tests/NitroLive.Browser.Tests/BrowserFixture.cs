using Microsoft.Playwright;

namespace NitroLive.Browser.Tests;

/// <summary>
/// One headless Debian Chromium for the whole run, driven by Playwright .NET (its bundled driver; no browser
/// download), and one app server the tests share. Tests open their own browser contexts.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>How long a UI expectation waits on this slow CPU-only machine.</summary>
    internal static readonly TimeSpan UiTimeout = TimeSpan.FromSeconds(30);

    private IPlaywright? _playwright;

    internal AppServer App { get; private set; } = default!;

    public IBrowser Browser { get; private set; } = default!;

    /// <summary>Where screenshots and measurements go: artifacts/browser/ at the repository root.</summary>
    public static string ArtifactsDirectory { get; } = CreateArtifactsDirectory();

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");

        // A CPU-only CI machine is slower than a laptop: UI expectations get 30 s (frame waits have their own limit).
        Assertions.SetDefaultExpectTimeout(30_000);
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        App = await new AppServer().StartAsync(startup.Token);
        _playwright = await Playwright.CreateAsync();
        Browser = await LaunchAsync(_playwright);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }

    /// <summary>A fresh browser context: its own cookies and storage, dark colour scheme, desktop unless told.</summary>
    internal async Task<IBrowserContext> NewContextAsync(int width = 1440, int height = 900, bool mobile = false) =>
        await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            IsMobile = mobile,
            HasTouch = mobile,
            DeviceScaleFactor = 1,
            ColorScheme = ColorScheme.Dark,
        });

    /// <summary>The studio in a new page of <paramref name="context"/>, once its session is up and the prompt has the focus.</summary>
    internal async Task<IPage> OpenStudioAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)UiTimeout.TotalMilliseconds);
        await page.GotoAsync(App.BaseAddress.ToString());
        await Assertions.Expect(page.Locator("[data-testid=studio]")).ToHaveAttributeAsync("data-role", "Owner", new() { Timeout = (float)UiTimeout.TotalMilliseconds });
        await Assertions.Expect(page.Locator("#prompt")).ToBeFocusedAsync();
        return page;
    }

    internal static Task<IBrowser> LaunchAsync(IPlaywright playwright) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic",
            ],
        });

    private static string CreateArtifactsDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NitroLive.sln")))
        {
            dir = dir.Parent;
        }

        var path = Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "artifacts", "browser");
        Directory.CreateDirectory(path);
        return path;
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserTestGroup : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
