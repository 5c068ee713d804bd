using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NitroLive.Core.Models;
using NitroLive.Core.Pipeline;
using NitroLive.Web.Extensions;
using NitroLive.Web.Live;
using NitroLive.Web.Hubs;
using NitroLive.Web.Tests.Live;

namespace NitroLive.Web.Tests.Reliability;

/// <summary>
/// The whole web app (its Program: pages, hub, health, metrics, security) on Kestrel at 127.0.0.1 with a random
/// port, so clients go through real sockets. The generator is <see cref="FakeImageGenerator"/> unless the test hands
/// in another one: these tests are about what the server does around the generator.
/// </summary>
internal sealed class ReliabilityHost : WebApplicationFactory<Program>
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly IImageGenerator? _generator;
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _configure;

    private ReliabilityHost(IImageGenerator? generator, Dictionary<string, string?> settings, Action<IServiceCollection>? configure)
    {
        _generator = generator;
        _settings = settings;
        _configure = configure;
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Starts the app with the fake generator (or <paramref name="generator"/>) and waits until it is ready.</summary>
    /// <param name="generator">The generator; null for a new <see cref="FakeImageGenerator"/>.</param>
    /// <param name="settings">Configuration on top of the app's.</param>
    /// <param name="configure">Replaces services after the app registered its own.</param>
    public static ReliabilityHost Start(IImageGenerator? generator = null, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null) =>
        Start(generator ?? new FakeImageGenerator(), settings, configure, realModelDirectory: null);

    /// <summary>
    /// Starts the app on the real pipeline (NitroPipeline, CPU) with <paramref name="modelDirectory"/>, else
    /// NITROLIVE_TEST_MODEL_DIR, else the embedded model.
    /// </summary>
    public static ReliabilityHost StartWithRealPipeline(Dictionary<string, string?>? settings = null, string? modelDirectory = null)
    {
        var directory = modelDirectory
            ?? (Environment.GetEnvironmentVariable("NITROLIVE_TEST_MODEL_DIR") is { Length: > 0 } dir ? dir : EmbeddedModel.DefaultDirectory);
        Assert.True(File.Exists(Path.Combine(directory, "nitrolive.json")),
            $"The embedded model is missing at {directory}: models/nitro-tiny must be in the repository (or set NITROLIVE_TEST_MODEL_DIR).");
        return Start(null, settings, null, directory);
    }

    private static ReliabilityHost Start(IImageGenerator? generator, Dictionary<string, string?>? settings, Action<IServiceCollection>? configure, string? realModelDirectory)
    {
        var merged = new Dictionary<string, string?>
        {
            ["NitroLive:Live:EmptySessionGraceSeconds"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (realModelDirectory is not null)
        {
            merged["NitroLive:Model:Directory"] = realModelDirectory;
            merged["NitroLive:Model:Provider"] = "Cpu";
        }

        foreach (var (key, value) in settings ?? [])
        {
            merged[key] = value;
        }

        var host = new ReliabilityHost(generator, merged, configure);
        host.UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, 0));
        host.StartServer();
        var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        host.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");

        // The generation loop warms the generator up first; hub calls before that would time the warm-up.
        var readiness = host.Services.GetRequiredService<LiveReadiness>();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!readiness.Current.IsReady && readiness.Current.Error is null && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        Assert.True(readiness.Current.IsReady, $"The generator did not warm up: {readiness.Current.Error ?? "timed out"}");
        return host;
    }

    public HttpClient NewHttpClient() => new() { BaseAddress = BaseAddress, Timeout = Timeout };

    public HubConnection NewConnection(bool messagePack = false)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(BaseAddress, LiveHub.Path.TrimStart('/')), o => o.Transports = HttpTransportType.WebSockets);
        if (messagePack)
        {
            builder.AddMessagePackProtocol();
        }

        return builder.Build();
    }

    /// <summary>A connected client that owns a new session and reads its frames in the background.</summary>
    public async Task<HubClient> NewSessionAsync(CancellationToken cancellationToken)
    {
        var connection = NewConnection();
        await connection.StartAsync(cancellationToken);
        var joined = await connection.InvokeAsync<JoinedMessage>("CreateSession", new CreateSessionMessage(), cancellationToken);
        return new HubClient(connection, joined.SessionId);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            if (_generator is not null)
            {
                // The fake replaces the pipeline, so the model folder check does not apply.
                services.RemoveAll<IImageGenerator>();
                services.RemoveAll<IValidateOptions<NitroModelOptions>>();
                services.AddSingleton(_generator);
            }

            _configure?.Invoke(services);
        });
    }
}

/// <summary>One hub connection owning one session, with a background reader of its frame stream.</summary>
internal sealed class HubClient : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<FrameMessage> _frames = [];
    private readonly Task _reader;
    private TaskCompletionSource _frameArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HubClient(HubConnection connection, string sessionId)
    {
        Connection = connection;
        SessionId = sessionId;
        _reader = ReadAsync();
    }

    public HubConnection Connection { get; }

    public string SessionId { get; }

    public int FrameCount
    {
        get
        {
            lock (_gate)
            {
                return _frames.Count;
            }
        }
    }

    public Task<RequestAcceptedMessage> SetPromptAsync(string prompt, CancellationToken cancellationToken) =>
        Connection.InvokeAsync<RequestAcceptedMessage>("SetPrompt", SessionId, prompt, cancellationToken);

    /// <summary>Waits for the frame of <paramref name="requestId"/> (or a newer one).</summary>
    public async Task<FrameMessage> FrameForAsync(long requestId, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task arrived;
            lock (_gate)
            {
                if (_frames.FirstOrDefault(f => f.RequestId >= requestId) is { } frame)
                {
                    return frame;
                }

                arrived = _frameArrived.Task;
            }

            await arrived.WaitAsync(cts.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reader;
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or Microsoft.AspNetCore.SignalR.HubException)
        {
            // The stream ends with the connection.
        }

        await Connection.DisposeAsync();
        _stop.Dispose();
    }

    private async Task ReadAsync()
    {
        await foreach (var frame in Connection.StreamAsync<FrameMessage>("Frames", SessionId, _stop.Token))
        {
            TaskCompletionSource arrived;
            lock (_gate)
            {
                _frames.Add(frame);
                arrived = _frameArrived;
                _frameArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            arrived.TrySetResult();
        }
    }
}
