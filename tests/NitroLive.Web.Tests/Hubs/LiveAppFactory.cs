using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NitroLive.Core.Pipeline;
using NitroLive.Web.Live;
using NitroLive.Web.Tests.Live;

namespace NitroLive.Web.Tests.Hubs;

/// <summary>
/// The real app (Program.cs) on Kestrel at 127.0.0.1 with a dynamic port. The generator is a fake unless
/// <see cref="UseRealGenerator"/> is set, in which case the app builds its own from configuration.
/// </summary>
internal sealed class LiveAppFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings = new()
    {
        ["NitroLive:Live:EmptySessionGraceSeconds"] = "0",
        ["Logging:LogLevel:Default"] = "Warning",

        // These tests drive the live service faster than a person types; the per-connection call budget is tested elsewhere.
        ["NitroLive:Security:HubCallsPerSecond"] = "10000",
        ["NitroLive:Security:HubCallBurst"] = "10000",
    };

    private readonly Action<IServiceCollection>? _configure;

    public LiveAppFactory(
        FakeImageGenerator? generator = null, Dictionary<string, string?>? settings = null, bool useRealGenerator = false, Action<IServiceCollection>? configure = null)
    {
        Generator = generator ?? new FakeImageGenerator();
        UseRealGenerator = useRealGenerator;
        _configure = configure;
        foreach (var (key, value) in settings ?? [])
        {
            _settings[key] = value;
        }

        UseKestrel(0);
    }

    public FakeImageGenerator Generator { get; }

    public bool UseRealGenerator { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public Uri HubUrl => new(BaseAddress, "/hubs/live");

    /// <summary>Starts the app; <paramref name="configure"/> replaces services after the app's own registrations.</summary>
    public static async Task<LiveAppFactory> StartAsync(
        FakeImageGenerator? generator = null, Dictionary<string, string?>? settings = null, bool useRealGenerator = false, Action<IServiceCollection>? configure = null)
    {
        var factory = new LiveAppFactory(generator, settings, useRealGenerator, configure);
        factory.StartServer();
        var addresses = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        factory.BaseAddress = new Uri(addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal)).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
        await factory.WaitUntilReadyAsync();
        return factory;
    }

    public T GetService<T>()
        where T : notnull => Services.GetRequiredService<T>();

    public async Task<HubConnection> ConnectAsync(bool messagePack = false)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(HubUrl, o =>
            {
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            });
        if (messagePack)
        {
            builder.AddMessagePackProtocol();
        }

        var connection = builder.Build();
        using var cts = new CancellationTokenSource(LiveTestHost.Timeout);
        await connection.StartAsync(cts.Token);
        return connection;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            if (!UseRealGenerator)
            {
                services.RemoveAll<IImageGenerator>();
                services.AddSingleton<IImageGenerator>(Generator);
            }

            _configure?.Invoke(services);
        });
    }

    private async Task WaitUntilReadyAsync()
    {
        var readiness = Services.GetRequiredService<LiveReadiness>();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (!readiness.Current.IsReady)
        {
            if (readiness.Current.Error is { } error)
            {
                throw new InvalidOperationException("The generator failed to warm up: " + error);
            }

            await Task.Delay(20, cts.Token);
        }
    }
}
