using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace NitroLive.Browser.Tests;

/// <summary>
/// The real app (real live service, real generator on the embedded model) on Kestrel, loopback only, on a free port
/// unless one is given (a restart reuses its port, so browsers find the "same" server again).
/// </summary>
internal sealed class AppServer : WebApplicationFactory<Program>
{
    private readonly int _port;
    private readonly Dictionary<string, string?> _settings;

    public AppServer(int port = 0, IDictionary<string, string?>? settings = null)
    {
        _port = port;
        _settings = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            // Short kiosk timings, so attract mode can be watched within a test.
            ["NitroLive:Kiosk:AttractAfterSeconds"] = "4",
            ["NitroLive:Kiosk:AttractIntervalSeconds"] = "3",
        };
        UseKestrel(options => options.Listen(IPAddress.Loopback, _port));
    }

    /// <summary>The app's base address, ending in a slash.</summary>
    public Uri BaseAddress { get; private set; } = default!;

    public int Port => BaseAddress.Port;

    /// <summary>The server's latest log lines, for a failing test to show.</summary>
    public RecentLogs Logs { get; } = new();

    /// <summary>Starts Kestrel and waits until the generator is ready (the embedded model loaded and warmed up).</summary>
    public async Task<AppServer> StartAsync(CancellationToken cancellationToken)
    {
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.Single();
        BaseAddress = new Uri(address.TrimEnd('/') + "/");

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                using var ready = await http.GetAsync(new Uri("readyz", UriKind.Relative), cancellationToken);
                if (ready.IsSuccessStatusCode)
                {
                    return this;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Busy warming up the model: ask again.
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    public Uri Url(string relative) => new(BaseAddress, relative);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Development serves the static web assets from their source folders (wwwroot/ at the repository root).
        builder.UseEnvironment("Development");
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
