using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Microsoft.JSInterop;
using MudBlazor;
using NitroLive.Web.Components.Parts;
using NitroLive.Web.Components.Services;
using NitroLive.Web.Live;

namespace NitroLive.Web.Components.Pages;

/// <summary>
/// What the studio, session and kiosk pages share: one membership of one live session, a frame loop that hands the
/// newest frame to the browser (latest-wins: the member's channel holds one frame, and the loop awaits the browser
/// before reading the next, so a slow browser skips frames), and a state loop that keeps prompt, members and roles
/// current.
/// </summary>
public abstract class LivePageBase : ComponentBase, IAsyncDisposable
{
    private readonly CancellationTokenSource _leaving = new();
    private readonly List<HistoryItem> _history = [];
    private const int MaxOpenAttempts = 3;
    private Task _frameLoop = Task.CompletedTask;
    private Task _stateLoop = Task.CompletedTask;
    private FrameStats? _stats;
    private bool _disposed;
    private bool _opening;
    private bool _switchPending;
    private string? _openedFor;

    [Inject]
    protected ILiveService Live { get; set; } = default!;

    [Inject]
    protected TimeProvider Time { get; set; } = default!;

    [Inject]
    protected IJSRuntime JS { get; set; } = default!;

    [Inject]
    protected NavigationManager Navigation { get; set; } = default!;

    [Inject]
    protected IOptions<UiOptions> UiOptions { get; set; } = default!;

    [Inject]
    protected ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private ILogger<LivePageBase> Logger { get; set; } = default!;

    /// <summary>The browser's connection: browser calls end when it drops and are redone once it is back.</summary>
    [Inject]
    private protected CircuitConnection Connection { get; set; } = default!;

    /// <summary>This page's membership, once opened.</summary>
    protected ILiveMember? Member { get; private set; }

    /// <summary>The session's newest state.</summary>
    protected LiveSessionState? State { get; private set; }

    /// <summary>
    /// Whether nothing is typed (or the session is not open yet). An empty prompt still gets a picture from the model,
    /// whatever it draws unprompted; the pages show their placeholder instead, and never draw or keep that picture.
    /// </summary>
    protected bool PromptIsEmpty => string.IsNullOrEmpty(State?.Request.Prompt);

    /// <summary>The page's picture; set by <c>@ref</c> in the page's markup.</summary>
    protected FrameView? Frame { get; set; }

    /// <summary>The app.js interop module (storage, clipboard, theme).</summary>
    protected IJSObjectReference? AppJs { get; private set; }

    /// <summary>Why the page could not open its session; null when it did.</summary>
    protected string? OpenError { get; private set; }

    /// <summary>True once the session has ended.</summary>
    protected bool SessionEnded { get; private set; }

    /// <summary>Frames per second and latency of the frames shown.</summary>
    protected FrameStats Stats => _stats ??= new FrameStats(Time);

    /// <summary>Recent frames, newest first.</summary>
    protected IReadOnlyList<HistoryItem> History => _history;

    /// <summary>Changes whenever <see cref="History"/> does.</summary>
    protected int HistoryVersion { get; private set; }

    /// <summary>The member's current role (changes when the owner grants or revokes typing).</summary>
    protected LiveRole Role => Member?.Role ?? LiveRole.Viewer;

    /// <summary>Whether this member may change the request.</summary>
    protected bool CanType => Member is { IsClosed: false } && Role != LiveRole.Viewer && !SessionEnded;

    /// <summary>Whether this member owns the session.</summary>
    protected bool IsOwner => Member is not null && Role == LiveRole.Owner;

    /// <summary>Whether the page keeps a history of frames (the strip's thumbnails).</summary>
    protected virtual bool KeepsHistory => false;

    /// <summary>
    /// The key the browser keeps the history under (the tab's sessionStorage), so a reload brings it back; null keeps
    /// it for the page's life only.
    /// </summary>
    protected virtual string? HistoryKey => null;

    /// <summary>Cancelled when the page goes away.</summary>
    protected CancellationToken Leaving => _leaving.Token;

    /// <summary>The session's share link (viewer page), absolute.</summary>
    protected string ShareUrl(string sessionId) => AbsoluteUrl($"s/{Uri.EscapeDataString(sessionId)}");

    /// <summary>An absolute URL of this app, using the public base URL when one is configured.</summary>
    protected string AbsoluteUrl(string relative)
    {
        var configured = UiOptions.Value.PublicBaseUrl;
        var baseUri = string.IsNullOrWhiteSpace(configured) ? Navigation.BaseUri : configured.TrimEnd('/') + "/";
        return baseUri + relative;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await OnLeavingAsync();
        await _leaving.CancelAsync();
        await Quietly(_frameLoop);
        await Quietly(_stateLoop);
        if (Member is not null)
        {
            await Member.DisposeAsync();
        }

        if (AppJs is not null)
        {
            await Connection.ReleaseAsync(AppJs);
        }

        _leaving.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Creates or joins the page's session. Throw <see cref="LiveException"/> to show its message.</summary>
    protected abstract Task<ILiveMember> OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Which session the page's parameters name (a shared session's id; null for a session of its own). The router
    /// keeps a page when only its parameters change (a link from <c>/s/{id}</c> to <c>/</c>): when this changes, the
    /// page leaves the session it is in and opens the one named now.
    /// </summary>
    protected virtual string? RequestedSession => null;

    /// <summary>Called when the page has left its session for another, before that one opens (reset what the page keeps).</summary>
    protected virtual void OnSwitchingSession()
    {
    }

    /// <inheritdoc />
    protected override async Task OnParametersSetAsync()
    {
        await base.OnParametersSetAsync();
        if ((_opening || Member is not null || OpenError is not null) && !string.Equals(_openedFor, RequestedSession, StringComparison.Ordinal))
        {
            await SwitchSessionAsync();
        }
    }

    private async Task SwitchSessionAsync()
    {
        if (_opening)
        {
            // The open under way reads the old parameters: it switches as soon as it is done.
            _switchPending = true;
            return;
        }

        await LeaveCurrentAsync();
        _history.Clear();
        HistoryVersion++;
        _stats = null;
        OnSwitchingSession();
        if (Frame is { } frame)
        {
            await TryBrowserCallAsync(frame.ResetAsync, Leaving);
        }

        StateHasChanged();
        await OpenAndFollowAsync();
    }

    /// <summary>
    /// Whether a frame may be shown: not an empty prompt's (see <see cref="PromptIsEmpty"/>); the kiosk also hides blocked
    /// prompts and keeps the last good frame.
    /// </summary>
    protected virtual bool ShouldShow(LiveFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.Request.Prompt.Length > 0;
    }

    /// <summary>Called after the session's state changed (on the renderer's thread).</summary>
    protected virtual Task OnSessionStateAsync(LiveSessionState? previous, LiveSessionState current) => Task.CompletedTask;

    /// <summary>Called once the member exists, before the loops start.</summary>
    protected virtual Task OnOpenedAsync(ILiveMember member) => Task.CompletedTask;

    /// <summary>Called when the page goes away, before the membership is left.</summary>
    protected virtual ValueTask OnLeavingAsync() => ValueTask.CompletedTask;

    /// <inheritdoc />
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        await OpenAndFollowAsync();
    }

    /// <summary>Leaves the current membership, if any, and opens the page's session again (kiosk recovery).</summary>
    protected async Task ReopenAsync()
    {
        await LeaveCurrentAsync();
        await OpenAndFollowAsync();
    }

    /// <summary>Leaves the current membership, if any, and forgets what the page knew of its session.</summary>
    private async Task LeaveCurrentAsync()
    {
        if (Member is { } left)
        {
            // Leaving completes the member's channels, which ends both loops (awaited next).
            Member = null;
            await left.DisposeAsync();
        }

        await Quietly(_frameLoop);
        await Quietly(_stateLoop);
        State = null;
        OpenError = null;
        SessionEnded = false;
    }

    private async Task OpenAndFollowAsync()
    {
        _opening = true;
        _openedFor = RequestedSession;
        try
        {
            await OpenSessionAsync();
        }
        finally
        {
            _opening = false;
        }

        if (_switchPending && !_disposed)
        {
            _switchPending = false;
            if (!string.Equals(_openedFor, RequestedSession, StringComparison.Ordinal))
            {
                await SwitchSessionAsync();
            }
        }
    }

    private async Task OpenSessionAsync()
    {
        for (var attempt = 1; Member is null; attempt++)
        {
            try
            {
                if (AppJs is null)
                {
                    using var call = Connection.StartCall(Leaving);
                    AppJs = await JS.InvokeAsync<IJSObjectReference>("import", call.Token, "./js/app.js");
                }

                var opened = await OpenAsync(Leaving);
                if (_disposed)
                {
                    // The page went away while it opened: nobody will leave this membership later.
                    await opened.DisposeAsync();
                    return;
                }

                Member = opened;
            }
            catch (LiveException ex)
            {
                OpenError = ex.Message;
                LiveUiLog.OpenRefused(Logger, ex.CodeName, ex.Message);
                StateHasChanged();
                return;
            }
            catch (OperationCanceledException) when (!Leaving.IsCancellationRequested && attempt < MaxOpenAttempts)
            {
                // A browser call (stored session, owner token) went unanswered: the connection dropped, or the
                // browser was too busy. Nothing was created yet; try again once the browser is back.
                LiveUiLog.OpenRetried(Logger, attempt);
                if (!await WaitUntilConnectedAsync())
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!Leaving.IsCancellationRequested)
            {
                OpenError = "The browser did not answer while the page was opening. Reload the page to try again.";
                StateHasChanged();
                return;
            }
            catch (Exception ex) when (ex is JSDisconnectedException or OperationCanceledException)
            {
                return;
            }
        }

        State = Member.State;
        await OnOpenedAsync(Member);
        await OnSessionStateAsync(null, State);
        _stateLoop = FollowStateAsync(Member, Leaving);

        // The page shows its session now; only the frames wait for the strip (a browser call, up to its bound).
        StateHasChanged();
        await RestoreHistoryAsync();
        if (_disposed)
        {
            // The page went away during the browser call: DisposeAsync has left the member and awaited the loops.
            return;
        }

        _frameLoop = ShowFramesAsync(Member, Leaving);
        StateHasChanged();
    }

    // Before the first frame: the session's picture on screen then joins the strip ahead of what the tab had kept.
    private async Task RestoreHistoryAsync()
    {
        if (!KeepsHistory || HistoryKey is not { } key || Frame is null)
        {
            return;
        }

        IReadOnlyList<HistoryItem> restored;
        try
        {
            restored = await Frame.RestoreThumbnailsAsync(key, UiOptions.Value.HistoryLength, Live.Limits.MaxPromptLength, Leaving);
        }
        catch (Exception ex) when (ex is JSException or JSDisconnectedException or OperationCanceledException or ObjectDisposedException)
        {
            // The history is a convenience: a browser that cannot give it back (storage off, connection gone) starts
            // with an empty strip.
            if (!Leaving.IsCancellationRequested)
            {
                LiveUiLog.HistoryNotRestored(Logger, ex);
            }

            return;
        }

        foreach (var item in restored)
        {
            if (_history.Count < UiOptions.Value.HistoryLength && !_history.Exists(kept => SamePicture(kept.Request, item.Request)))
            {
                _history.Add(item);
            }
        }

        if (restored.Count > 0)
        {
            HistoryVersion++;
        }
    }

    /// <summary>Runs a change of the request and reports a refusal in a snackbar.</summary>
    protected LiveRequestAccepted? TryChange(Func<ILiveMember, LiveRequestAccepted> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (Member is null)
        {
            return null;
        }

        try
        {
            var accepted = change(Member);
            Stats.RequestSent(accepted.RequestId);
            return accepted;
        }
        catch (LiveException ex)
        {
            Snackbar.Add(ex.Message, Severity.Warning);
            return null;
        }
    }

    /// <summary>Runs an owner action and reports a refusal in a snackbar.</summary>
    protected void TryOwnerAction(Action<ILiveMember> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (Member is null)
        {
            return;
        }

        try
        {
            action(Member);
        }
        catch (LiveException ex)
        {
            Snackbar.Add(ex.Message, Severity.Warning);
        }
    }

    /// <summary>Downloads the newest frame as a full-quality PNG.</summary>
    protected async Task DownloadPngAsync()
    {
        if (Member is null || Frame is null || Stats.Last is not { } frame)
        {
            return;
        }

        var name = FileNames.ForFrame(frame.Request.Prompt, frame.Request.Seed);
        try
        {
            if (await FullQualityPngAsync(Member, frame) is { } png)
            {
                await Frame.SaveBytesAsync(png, "image/png", name, Leaving);
            }
            else
            {
                await Frame.SaveCanvasAsync(name, Leaving);
            }
        }
        catch (Exception ex) when (ex is JSException || (ex is OperationCanceledException && !Leaving.IsCancellationRequested))
        {
            // The browser refused the file, or did not answer (the connection dropped, a large PNG on a slow link):
            // a download that did not happen must not take the page, and the session, down with it.
            Snackbar.Add("The picture was not saved: the browser did not take it. Try again.", Severity.Warning);
        }
    }

    /// <summary>
    /// <paramref name="frame"/> as the server's full-quality PNG; null when the server no longer holds it (only the newest
    /// frame is kept at full quality), where what the screen shows has to do.
    /// </summary>
    private protected async Task<byte[]?> FullQualityPngAsync(ILiveMember member, LiveFrame frame)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(frame);
        try
        {
            return await member.EncodePngAsync(frame.Sequence, Leaving);
        }
        catch (LiveException)
        {
            return null;
        }
    }

    /// <summary>Copies text to the clipboard and says so.</summary>
    protected async Task CopyAsync(string text, string what)
    {
        var ok = false;
        if (AppJs is { } app && !await TryBrowserCallAsync(async token => ok = await app.InvokeAsync<bool>("copyText", token, text), Leaving))
        {
            return;
        }

        if (ok)
        {
            Snackbar.Add($"{what} copied.", Severity.Success);
        }
        else
        {
            Snackbar.Add($"Could not copy. The {what.ToLowerInvariant()} is {text}", Severity.Info);
        }
    }

    /// <summary>Reads a value the browser stored ("local" or "session" storage).</summary>
    /// <exception cref="OperationCanceledException">The browser did not answer (see <see cref="CircuitConnection.StartCall"/>).</exception>
    protected async Task<string?> LoadAsync(string storage, string key, CancellationToken cancellationToken)
    {
        if (AppJs is null)
        {
            return null;
        }

        using var call = Connection.StartCall(cancellationToken);
        return await AppJs.InvokeAsync<string?>("load", call.Token, storage, key);
    }

    /// <summary>
    /// Stores a value in the browser ("local" or "session" storage); null removes it. Best effort: a value the browser
    /// did not take only means that a reload starts afresh.
    /// </summary>
    protected async Task SaveAsync(string storage, string key, string? value, CancellationToken cancellationToken)
    {
        // Unanswered (the connection dropped): the session goes on, only a reload would not find it.
        if (AppJs is { } app)
        {
            await TryBrowserCallAsync(token => app.InvokeVoidAsync("save", token, storage, key, value).AsTask(), cancellationToken);
        }
    }

    /// <summary>
    /// Runs one browser call bounded by <see cref="CircuitConnection.StartCall"/>; false when the browser did not answer
    /// (the connection dropped with the call in flight, or it took too long) while <paramref name="cancellationToken"/>
    /// still stands. Cancelling that token still throws.
    /// </summary>
    private protected async Task<bool> TryBrowserCallAsync(Func<CancellationToken, Task> invoke, CancellationToken cancellationToken)
    {
        using var call = Connection.StartCall(cancellationToken);
        try
        {
            await invoke(call.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Joins as owner with a stored owner token; null when there is none or it no longer works.</summary>
    protected async Task<ILiveMember?> TryRejoinAsOwnerAsync(string sessionId, string? displayName, CancellationToken cancellationToken, bool display = false)
    {
        var token = await LoadAsync("local", OwnerKey(sessionId), cancellationToken);
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            return Live.JoinSession(sessionId, LiveRole.Owner, displayName, token, display: display);
        }
        catch (LiveException ex) when (ex.Code is LiveErrorCode.UnknownSession or LiveErrorCode.InvalidOwnerToken)
        {
            await SaveAsync("local", OwnerKey(sessionId), null, cancellationToken);
            return null;
        }
    }

    /// <summary>
    /// Runs what must follow a membership's creation (browser calls that store it); when that fails or the page goes away
    /// meanwhile, the membership is left again instead of keeping its session alive with nobody there.
    /// </summary>
    protected static async Task<ILiveMember> KeepAsync(ILiveMember member, Func<Task> then)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(then);
        try
        {
            await then();
            return member;
        }
        catch
        {
            await member.DisposeAsync();
            throw;
        }
    }

    /// <summary>Remembers the owner token in this browser, so the owner's other tabs and reloads stay owner.</summary>
    protected Task RememberOwnerAsync(ILiveMember member, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        return member.OwnerToken is null
            ? Task.CompletedTask
            : SaveAsync("local", OwnerKey(member.SessionId), member.OwnerToken, cancellationToken);
    }

    /// <summary>
    /// Joins a session as typist when its typing is open, else as viewer; a guest this browser was before (its guest key
    /// in localStorage) comes back as that guest, with their name and role. <paramref name="displayName"/> names a guest
    /// the session does not know (no key kept, or one it has forgotten), not one coming back.
    /// </summary>
    protected async Task<ILiveMember> JoinAsGuestAsync(string sessionId, CancellationToken cancellationToken, string? displayName = null)
    {
        var key = await LoadAsync("local", GuestKey(sessionId), cancellationToken);
        if (Live.GetSessionState(sessionId) is not { } state)
        {
            // Gone for good: the key this browser kept for it is of no use again.
            await SaveAsync("local", GuestKey(sessionId), null, cancellationToken);
            throw new LiveException(LiveErrorCode.UnknownSession, "This session has ended, or the link is not quite right.");
        }

        var member = JoinAsGuest(sessionId, state.TypingOpen, key, key is null ? displayName : null);
        if (key is not null && displayName is not null && member.GuestKey != key)
        {
            // Forgotten, so a newcomer after all: the name they would have joined with. One the session does not take
            // (the owner's, say) is no reason to fail the join.
            try
            {
                member.Rename(displayName);
            }
            catch (LiveException)
            {
            }
        }

        if (member.GuestKey is { } given && given != key)
        {
            return await KeepAsync(member, () => SaveAsync("local", GuestKey(sessionId), given, cancellationToken));
        }

        return member;
    }

    private ILiveMember JoinAsGuest(string sessionId, bool typingOpen, string? key, string? displayName)
    {
        if (typingOpen)
        {
            try
            {
                return Live.JoinSession(sessionId, LiveRole.Typist, displayName, guestKey: key);
            }
            catch (LiveException ex) when (ex.Code == LiveErrorCode.Forbidden)
            {
                // Typing closed between the two calls: join as viewer.
            }
        }

        return Live.JoinSession(sessionId, LiveRole.Viewer, displayName, guestKey: key);
    }

    /// <summary>Waits for the browser's connection; false when the page goes away first.</summary>
    private async Task<bool> WaitUntilConnectedAsync()
    {
        try
        {
            await Connection.WaitUntilConnectedAsync(Leaving);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static string OwnerKey(string sessionId) => "nitro-owner:" + sessionId;

    private static string GuestKey(string sessionId) => "nitro-guest:" + sessionId;

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is OperationCanceledException or JSDisconnectedException or ObjectDisposedException)
        {
            // Expected while leaving.
        }
    }

    private async Task ShowFramesAsync(ILiveMember member, CancellationToken cancellationToken)
    {
        var frames = member.Frames;
        LiveFrame? unanswered = null;
        long retried = 0;
        while (true)
        {
            // Latest-wins: a newer frame replaces one the browser did not take; without one, that frame is offered
            // again, because the picture on screen would otherwise stay behind the session for good.
            LiveFrame frame;
            if (frames.TryRead(out var next))
            {
                frame = next;
            }
            else if (unanswered is not null)
            {
                frame = unanswered;
            }
            else if (await frames.WaitToReadAsync(cancellationToken))
            {
                continue;
            }
            else
            {
                break;
            }

            unanswered = null;
            if (Frame is null || !ShouldShow(frame))
            {
                continue;
            }

            var started = Time.GetTimestamp();
            var dropped = Connection.Dropped;
            try
            {
                await Frame.ShowAsync(frame, KeepsHistory, cancellationToken);
            }
            catch (JSException ex)
            {
                // One undecodable frame must not stop the stream; the old picture stays.
                LiveUiLog.FrameNotShown(Logger, frame.SessionId, frame.Sequence, ex.Message);
                continue;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Unanswered: the connection dropped with the call in flight (Blazor does not resend interop calls
                // after reconnecting), or the browser took too long. Offer it again once connected; a frame that
                // merely timed out is retried once, so a browser that cannot draw it does not loop on it.
                if (dropped.IsCancellationRequested || frame.Sequence != retried)
                {
                    unanswered = frame;
                    retried = frame.Sequence;
                }

                LiveUiLog.FrameUnanswered(Logger, frame.SessionId, frame.Sequence, dropped.IsCancellationRequested);
                await Connection.WaitUntilConnectedAsync(cancellationToken);
                continue;
            }

            Stats.FrameShown(frame, Time.GetElapsedTime(started).TotalMilliseconds);
            if (KeepsHistory)
            {
                Remember(frame);
            }

            StateHasChanged();
        }

        SessionEnded = member.IsClosed;
        StateHasChanged();
    }

    private void Remember(LiveFrame frame)
    {
        var request = frame.Request;
        if (_history.Count > 0)
        {
            var head = _history[0].Request;
            if (head == request)
            {
                // A draft's full-step picture: the entry shows that one instead.
                if (!frame.IsDraft && _history[0].Sequence != frame.Sequence)
                {
                    HistoryVersion++;
                    _history[0] = new HistoryItem(frame.Sequence, request);
                }

                return;
            }

            HistoryVersion++;
            if (ContinuesTyping(head, request))
            {
                _history[0] = new HistoryItem(frame.Sequence, request);
                return;
            }
        }

        HistoryVersion++;

        // Each picture once: one that is back as a new entry (a restored one, an example shown again) moves to the front.
        _history.RemoveAll(item => SamePicture(item.Request, request));
        _history.Insert(0, new HistoryItem(frame.Sequence, request));
        var limit = UiOptions.Value.HistoryLength;
        if (_history.Count > limit)
        {
            _history.RemoveRange(limit, _history.Count - limit);
        }
    }

    private static bool SamePicture(LiveRequest a, LiveRequest b) => a.Prompt == b.Prompt && SameSettings(a, b);

    private static bool SameSettings(LiveRequest a, LiveRequest b) =>
        a.Seed == b.Seed && a.Steps == b.Steps && a.Width == b.Width && a.Height == b.Height && a.ModelVariant == b.ModelVariant;

    /// <summary>
    /// Typing produces a frame per keystroke: one entry follows a prompt as it grows or shrinks letter by letter, and a
    /// new entry starts when the prompt turns into something else or the steps, size, variant or a fixed seed change.
    /// A prompt that drops more than half of the entry's at once (all selected and typed over) is something else: the
    /// picture it replaces stays in the strip.
    /// </summary>
    internal static bool ContinuesTyping(LiveRequest head, LiveRequest next)
    {
        // With a fresh seed per request every keystroke has its own seed: the seed says nothing about the idea then.
        var compared = head.SeedMode == SeedMode.PerRequest && next.SeedMode == SeedMode.PerRequest ? next with { Seed = head.Seed } : next;
        if (!SameSettings(head, compared))
        {
            return false;
        }

        if (next.Prompt.StartsWith(head.Prompt, StringComparison.Ordinal))
        {
            return true;
        }

        return head.Prompt.StartsWith(next.Prompt, StringComparison.Ordinal) && next.Prompt.Length * 2 >= head.Prompt.Length;
    }

    private async Task FollowStateAsync(ILiveMember member, CancellationToken cancellationToken)
    {
        await foreach (var state in member.States.ReadAllAsync(cancellationToken))
        {
            if (State is not null && state.Version <= State.Version)
            {
                continue;
            }

            var previous = State;
            State = state;
            SessionEnded = state.IsClosed;
            await OnSessionStateAsync(previous, state);
            StateHasChanged();
        }

        SessionEnded = true;
        StateHasChanged();
    }
}
