using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NitroLive.Web.Hubs;
using NitroLive.Web.Tests.Live;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace NitroLive.Web.Tests.Hubs;

/// <summary>A hub frame stream read in the background into a channel the test can wait on.</summary>
internal sealed class FrameRecorder : IAsyncDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly Channel<FrameMessage> _frames = Channel.CreateUnbounded<FrameMessage>();
    private readonly Task _reader;

    public FrameRecorder(HubConnection connection, string sessionId)
    {
        var stream = connection.StreamAsync<FrameMessage>("Frames", sessionId, _cts.Token);
        _reader = ReadAsync(stream);
    }

    public List<FrameMessage> Received { get; } = [];

    /// <summary>
    /// Waits for a frame answering <paramref name="requestId"/> or newer (with <paramref name="full"/>, not a draft),
    /// checking the order of every frame.
    /// </summary>
    public async Task<FrameMessage> WaitForRequestAsync(long requestId, TimeSpan? timeout = null, bool full = false)
    {
        using var cts = new CancellationTokenSource(timeout ?? LiveTestHost.Timeout);
        while (true)
        {
            var frame = await _frames.Reader.ReadAsync(cts.Token);
            if (Received.Count > 0)
            {
                Assert.True(frame.Sequence > Received[^1].Sequence, $"sequence {frame.Sequence} after {Received[^1].Sequence}");
                var draftThenFull = frame.RequestId == Received[^1].RequestId && Received[^1].Draft && !frame.Draft;
                Assert.True(frame.RequestId > Received[^1].RequestId || draftThenFull, $"request {frame.RequestId} after {Received[^1].RequestId}: an older picture after a newer one");
            }

            Received.Add(frame);
            if (frame.RequestId >= requestId && !(full && frame.Draft))
            {
                return frame;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        try
        {
            await _reader.WaitAsync(LiveTestHost.Timeout);
        }
        catch (OperationCanceledException)
        {
        }

        _cts.Dispose();
    }

    private async Task ReadAsync(IAsyncEnumerable<FrameMessage> stream)
    {
        try
        {
            await foreach (var frame in stream)
            {
                await _frames.Writer.WriteAsync(frame);
            }

            _frames.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            _frames.Writer.TryComplete(ex);
        }
    }
}

internal static class HubTestExtensions
{
    public static Task<JoinedMessage> CreateSessionAsync(this HubConnection connection, string? prompt = null) =>
        connection.InvokeAsync<JoinedMessage>(
            "CreateSession",
            new CreateSessionMessage { Initial = prompt is null ? null : new RequestPatchMessage { Prompt = prompt } },
            Cancel());

    public static Task<JoinedMessage> JoinAsync(this HubConnection connection, string sessionId, string role) =>
        connection.InvokeAsync<JoinedMessage>("JoinSession", new JoinSessionMessage { SessionId = sessionId, Role = role }, Cancel());

    public static Task<RequestAcceptedMessage> SetPromptAsync(this HubConnection connection, string sessionId, string prompt) =>
        connection.InvokeAsync<RequestAcceptedMessage>("SetPrompt", sessionId, prompt, Cancel());

    public static Task<RequestAcceptedMessage> ShowRequestAsync(this HubConnection connection, string sessionId, RequestPatchMessage patch) =>
        connection.InvokeAsync<RequestAcceptedMessage>(LiveHubContract.ShowRequest, sessionId, patch, Cancel());

    public static Task<RequestAcceptedMessage> RerollAsync(this HubConnection connection, string sessionId) =>
        connection.InvokeAsync<RequestAcceptedMessage>(LiveHubContract.Reroll, sessionId, Cancel());

    /// <summary>Types <paramref name="text"/> one letter at a time; returns the last accepted request.</summary>
    public static async Task<RequestAcceptedMessage> TypeAsync(this HubConnection connection, string sessionId, string text, TimeSpan interval)
    {
        RequestAcceptedMessage accepted = null!;
        for (var i = 1; i <= text.Length; i++)
        {
            accepted = await connection.SetPromptAsync(sessionId, text[..i]);
            await Task.Delay(interval);
        }

        return accepted;
    }

    /// <summary>The RGB pixels of a frame the session still holds, through the hub's full-quality PNG download.</summary>
    public static async Task<byte[]> DownloadPixelsAsync(
        this HubConnection connection, string sessionId, long sequence, CancellationToken cancellationToken = default)
    {
        var png = await connection.InvokeAsync<byte[]>(
            "DownloadPng", sessionId, sequence, cancellationToken.CanBeCanceled ? cancellationToken : Cancel());
        using var shown = Image.Load<Rgb24>(png);
        var pixels = new byte[shown.Width * shown.Height * 3];
        shown.CopyPixelDataTo(pixels);
        return pixels;
    }

    /// <summary>The stable code at the start of a hub error ("forbidden" from "...HubException: forbidden: ...").</summary>
    public static string ErrorCode(this HubException error)
    {
        const string marker = "HubException: ";
        var message = error.Message;
        var start = message.IndexOf(marker, StringComparison.Ordinal);
        var rest = start >= 0 ? message[(start + marker.Length)..] : message;
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? rest[..colon] : rest;
    }

    private static CancellationToken Cancel() => new CancellationTokenSource(LiveTestHost.Timeout).Token;
}
