using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NitroLive.Core.Pipeline;
using NitroLive.Web.Extensions;
using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Live;

/// <summary>The live service in a generic host (no HTTP) with a fake generator: what the Blazor UI uses in-process.</summary>
internal sealed class LiveTestHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly IHost _host;

    private LiveTestHost(IHost host, FakeImageGenerator generator)
    {
        _host = host;
        Generator = generator;
    }

    public FakeImageGenerator Generator { get; }

    public ILiveService Live => _host.Services.GetRequiredService<ILiveService>();

    public LiveStats Stats => _host.Services.GetRequiredService<LiveStats>();

    public RgbBufferPool ResultBuffers => _host.Services.GetRequiredService<RgbBufferPool>();

    public LiveSessionRegistry Registry => _host.Services.GetRequiredService<LiveSessionRegistry>();

    public LiveReadiness Readiness => _host.Services.GetRequiredService<LiveReadiness>();

    /// <summary>A new session whose first request is <paramref name="prompt"/>; the caller owns it.</summary>
    public ILiveMember NewSession(string prompt) => Live.CreateSession(new CreateSessionOptions(Initial: new LiveRequestPatch(prompt)));

    /// <summary>A new session whose first request has reached the generator (held there when the generator is gated).</summary>
    public async Task<ILiveMember> NewSessionInTheGeneratorAsync(string prompt)
    {
        var member = NewSession(prompt);
        await Generator.NextCallAsync(Timeout);
        return member;
    }

    public static async Task<LiveTestHost> StartAsync(
        FakeImageGenerator? generator = null,
        Dictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configure = null)
    {
        generator ??= new FakeImageGenerator();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["NitroLive:Live:EmptySessionGraceSeconds"] = "0",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Services.AddSingleton<IImageGenerator>(generator);
        builder.Services.AddNitroLive();
        configure?.Invoke(builder.Services);
        var host = builder.Build();
        using var cts = new CancellationTokenSource(Timeout);
        await host.StartAsync(cts.Token);
        return new LiveTestHost(host, generator);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await _host.StopAsync(cts.Token);
        _host.Dispose();
    }
}

internal static class LiveTestExtensions
{
    /// <summary>Polls <paramref name="condition"/> until it holds; a <see cref="TimeoutException"/> naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (!condition())
        {
            try
            {
                await Task.Delay(10, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:F0} s waiting for {what}.");
            }
        }
    }

    /// <summary>
    /// Reads frames until one answers <paramref name="requestId"/> (or a newer one; with <paramref name="full"/>, not a
    /// draft), checking order on the way.
    /// </summary>
    public static async Task<List<LiveFrame>> ReadUntilRequestAsync(this ILiveMember member, long requestId, TimeSpan timeout, bool full = false)
    {
        using var cts = new CancellationTokenSource(timeout);
        var frames = new List<LiveFrame>();
        await foreach (var frame in member.Frames.ReadAllAsync(cts.Token))
        {
            if (frames.Count > 0)
            {
                Assert.True(frame.Sequence > frames[^1].Sequence, "frame sequence went backwards");
                // Two frames of one request: a draft, then its full-step picture.
                var draftThenFull = frame.RequestId == frames[^1].RequestId && frames[^1].IsDraft && !frame.IsDraft;
                Assert.True(frame.RequestId > frames[^1].RequestId || draftThenFull, "a frame of an older request followed a newer one");
            }

            frames.Add(frame);
            if (frame.RequestId >= requestId && !(full && frame.IsDraft))
            {
                return frames;
            }
        }

        throw new InvalidOperationException("The frame stream completed before the frame arrived.");
    }

    public static async Task<LiveSessionState> ReadStateUntilAsync(this ILiveMember member, Func<LiveSessionState, bool> predicate, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        if (predicate(member.State))
        {
            return member.State;
        }

        await foreach (var state in member.States.ReadAllAsync(cts.Token))
        {
            if (predicate(state))
            {
                return state;
            }
        }

        throw new InvalidOperationException("The state stream completed before the condition held.");
    }
}
