using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Microsoft.JSInterop;
using NitroLive.Web.Components.Services;
using NitroLive.Web.Live;

namespace NitroLive.Web.Components.Pages;

/// <summary>
/// The kiosk (<c>/kiosk</c> for a fresh session, <c>/kiosk/{id}</c> to show one): the picture full screen, the prompt
/// as a caption, a QR code for phones to join and type, an attract mode that cycles a playlist when nobody types,
/// an optional prompt blocklist, and recovery from anything without a person at the keyboard.
/// </summary>
public sealed partial class Kiosk
{
    private const string KioskKey = "nitro-kiosk";
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan RetryOpenAfter = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan HeartbeatEvery = TimeSpan.FromSeconds(5);

    private readonly HashSet<long> _ownRequests = [];
    private readonly Queue<long> _ownOrder = new();
    private Task _ticker = Task.CompletedTask;
    private Task _beat = Task.CompletedTask;
    private IDisposable? _registration;
    private bool _attract;

    // Whether the session is the kiosk's own (created by it, or the one its tab remembers): only then does attract mode
    // cycle the playlist. A studio's session shown on a kiosk ("Show on a kiosk", as its owner) stays the studio's.
    private bool _ownSession;
    private int _playlistIndex;
    private long _lastActivity;
    private long _nextAttractAt;
    private long _lastOpenTry;
    private long _lastBeat;
    private string? _lastGoodPrompt;

    /// <summary>The session shown; null to start a fresh one.</summary>
    [Parameter]
    public string? SessionId { get; set; }

    [Inject]
    private IOptions<KioskOptions> Options { get; set; } = default!;

    [Inject]
    private PromptBlocklist Blocklist { get; set; } = default!;

    [Inject]
    private PromptSuggestions Suggestions { get; set; } = default!;

    [Inject]
    private KioskRegistry Kiosks { get; set; } = default!;

    [Inject]
    private ILogger<Kiosk> Logger { get; set; } = default!;

    /// <summary>The most of a prompt the caption shows: about two lines at its smaller size, a third of the picture at most.</summary>
    internal const int CaptionChars = 90;

    // Past this the caption takes its smaller size, so that a long prompt does not cover the picture it is about.
    private const int LongCaptionChars = 48;

    private string JoinUrl => Member is null ? string.Empty : ShareUrl(Member.SessionId);

    private string? ShownCaption => Caption is { } caption ? TailOf(caption, CaptionChars) : null;

    // The caption follows the typing, except while the request is blocked: then it shows the last good picture's prompt.
    private string? Caption => State?.Request.Prompt is { } prompt && !Blocklist.IsBlocked(prompt) && prompt.Length > 0
        ? prompt
        : Stats.Last?.Request.Prompt ?? _lastGoodPrompt;

    // A studio's session shown here keeps its own typing policy: where only the owner types, a phone can only watch.
    private string ScanVerb => State is { TypingOpen: false } ? "watch" : "type";

    /// <summary>
    /// The end of a caption longer than <paramref name="max"/> characters, from a word's start, after an ellipsis: a
    /// kiosk's audience follows the words being typed, which come last, and a whole prompt of hundreds of characters
    /// would cover the picture.
    /// </summary>
    internal static string TailOf(string caption, int max)
    {
        ArgumentNullException.ThrowIfNull(caption);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        if (caption.Length <= max)
        {
            return caption;
        }

        // Never part of what reads as one character: half a surrogate pair, an accent without its letter, one flag's
        // second letter (which would pair with the next flag's first), the tail of an emoji sequence.
        var cut = caption.Length - max;
        var start = 0;
        while (start < cut)
        {
            start += StringInfo.GetNextTextElementLength(caption, start);
        }

        if (start >= caption.Length)
        {
            return string.Empty;
        }

        // Inside a word: start at the next one, unless the cut word is most of what is left.
        if (!char.IsWhiteSpace(caption[start - 1]))
        {
            var space = caption.AsSpan(start).IndexOfAny(' ', '\t', '\n');
            if (space >= 0 && space < max / 3)
            {
                start += space + 1;
            }
        }

        var tail = caption[start..].TrimStart();
        return tail.Length == 0 ? string.Empty : "…" + tail;
    }

    /// <inheritdoc />
    protected override void OnInitialized()
    {
        _lastActivity = Time.GetTimestamp();
        _lastOpenTry = _lastActivity;
        _ticker = TickAsync(Leaving);
    }

    /// <inheritdoc />
    protected override async Task<ILiveMember> OpenAsync(CancellationToken cancellationToken)
    {
        _lastOpenTry = Time.GetTimestamp();
        var saved = await LoadAsync("session", KioskKey, cancellationToken);
        var id = SessionId ?? saved;
        ILiveMember? member = null;
        if (!string.IsNullOrEmpty(id))
        {
            member = await TryRejoinAsOwnerAsync(id, "Kiosk", cancellationToken, display: true);
            if (member is null && SessionId is not null && Live.GetSessionState(SessionId) is not null)
            {
                // A display, not a person: it watches somebody else's session even where anyone may type, so it is
                // listed as a viewer and holds no right to change the prompt.
                member = Live.JoinSession(SessionId, LiveRole.Viewer, "Kiosk", display: true);
            }
        }

        // No session, or it is gone (a server restart): a kiosk starts a fresh one rather than showing an error.
        var created = member is null;
        if (member is null)
        {
            var initial = Suggestions.KioskPlaylist.Count > 0 ? new LiveRequestPatch(Prompt: Suggestions.KioskPlaylist[0]) : null;
            // The service refuses blocked prompts in this session, from phones and hub clients alike.
            member = Live.CreateSession(new CreateSessionOptions("Kiosk", initial, Options.Value.OpenTyping, ApplyBlocklist: true, Display: true));
            _attract = true;
        }

        var opened = member;
        _ownSession = created || (!string.IsNullOrEmpty(saved) && saved == member.SessionId);
        await KeepAsync(opened, async () =>
        {
            if (created)
            {
                await RememberOwnerAsync(opened, cancellationToken);
            }

            if (_ownSession && opened.Role == LiveRole.Owner)
            {
                await SaveAsync("session", KioskKey, opened.SessionId, cancellationToken);
            }
        });

        if (SessionId != member.SessionId)
        {
            SessionId = member.SessionId;
            Navigation.NavigateTo($"kiosk/{Uri.EscapeDataString(member.SessionId)}", replace: true);
        }

        return member;
    }

    /// <inheritdoc />
    protected override Task OnOpenedAsync(ILiveMember member)
    {
        _registration?.Dispose();
        _registration = Kiosks.Register(member.SessionId);
        _lastActivity = Time.GetTimestamp();
        _nextAttractAt = _lastActivity;
        if (_attract)
        {
            // A fresh kiosk session starts on the playlist's first prompt: go on from the second.
            _playlistIndex = 1;
            _nextAttractAt += (long)(Options.Value.AttractIntervalSeconds * (double)Time.TimestampFrequency);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override bool ShouldShow(LiveFrame frame)
    {
        if (!base.ShouldShow(frame) || Blocklist.IsBlocked(frame.Request.Prompt))
        {
            return false;
        }

        _lastGoodPrompt = frame.Request.Prompt;
        return true;
    }

    /// <inheritdoc />
    protected override Task OnSessionStateAsync(LiveSessionState? previous, LiveSessionState current)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (previous is not null && current.Members.Any(m => m.Role != LiveRole.Viewer && !m.IsDisplay && !previous.Members.Any(before => before.Holds(m.MemberId))))
        {
            // Somebody joined who may type (a phone that scanned the code; not another display, which joins as a
            // viewer): the playlist stops, so that the prompt they are about to edit holds still, and comes back only
            // after AttractAfterSeconds without typing.
            _lastActivity = Time.GetTimestamp();
            _attract = false;
        }

        if (previous is null || current.RequestId == previous.RequestId || _ownRequests.Contains(current.RequestId))
        {
            return Task.CompletedTask;
        }

        // Somebody typed: stop the playlist and let them have the screen.
        _lastActivity = Time.GetTimestamp();
        _attract = false;

        if (Blocklist.IsBlocked(current.Request.Prompt) && IsOwner)
        {
            // Only in a session the kiosk shows but did not create (the service refuses blocked prompts in its own):
            // put the last good prompt back, so the generator (latest-wins) moves on from the blocked one.
            LiveUiLog.PromptBlocked(Logger, current.SessionId);
            var restore = _lastGoodPrompt ?? (Suggestions.KioskPlaylist.Count > 0 ? Suggestions.KioskPlaylist[0] : string.Empty);
            Own(TryChange(member => member.ShowPrompt(restore)));
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask OnLeavingAsync()
    {
        // A beat in flight ends by itself: its call is cancelled with the page.
        _registration?.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task ToggleFullscreenAsync()
    {
        // Unanswered: a double-click during a reconnection does nothing.
        if (AppJs is { } app)
        {
            await TryBrowserCallAsync(token => app.InvokeVoidAsync("toggleFullscreen", token, (object?)null).AsTask(), Leaving);
        }
    }

    // Tells the browser's watchdog (wwwroot/js/app.js) that the circuit is alive. Never awaited by the tick: a call
    // the browser does not answer (the connection dropped with it in flight) must not stop the playlist.
    private async Task BeatAsync(IJSObjectReference app)
    {
        using var call = Connection.StartCall(Leaving);
        try
        {
            await app.InvokeVoidAsync("kioskHeartbeat", call.Token);
        }
        catch (Exception ex) when (ex is JSException or JSDisconnectedException or OperationCanceledException)
        {
            // A missed beat is what the watchdog is for; the next one goes out on the next tick that is due.
        }
    }

    private void Own(LiveRequestAccepted? accepted)
    {
        if (accepted is null || !_ownRequests.Add(accepted.RequestId))
        {
            return;
        }

        _ownOrder.Enqueue(accepted.RequestId);
        while (_ownOrder.Count > 32)
        {
            _ownRequests.Remove(_ownOrder.Dequeue());
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Tick, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await OnTickAsync();
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // The tick is the kiosk's lifeline (attract mode, reopening, the watchdog's beat): it goes on.
                    LiveUiLog.KioskTickFailed(Logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The page is going away.
        }
    }

    private async Task OnTickAsync()
    {
        var now = Time.GetTimestamp();
        if ((OpenError is not null || SessionEnded) && Time.GetElapsedTime(_lastOpenTry, now) >= RetryOpenAfter)
        {
            _lastOpenTry = now;
            await ReopenAsync();
            return;
        }

        if (_beat.IsCompleted && Connection.IsConnected && AppJs is { } app && Time.GetElapsedTime(_lastBeat, now) >= HeartbeatEvery)
        {
            _lastBeat = now;
            _beat = BeatAsync(app);
        }

        if (!IsOwner || !_ownSession)
        {
            return;
        }

        var options = Options.Value;
        if (!_attract && Time.GetElapsedTime(_lastActivity, now) >= TimeSpan.FromSeconds(options.AttractAfterSeconds))
        {
            _attract = true;
            _nextAttractAt = now;
            LiveUiLog.AttractStarted(Logger, Member!.SessionId);
        }

        var playlist = Suggestions.KioskPlaylist;
        if (_attract && now >= _nextAttractAt && playlist.Count > 0)
        {
            var prompt = playlist[_playlistIndex++ % playlist.Count];
            Own(TryChange(member => member.ShowPrompt(prompt)));
            _nextAttractAt = now + (long)(options.AttractIntervalSeconds * (double)Time.TimestampFrequency);
            StateHasChanged();
        }
    }
}
