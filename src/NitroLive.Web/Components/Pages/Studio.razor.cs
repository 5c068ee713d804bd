using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;
using NitroLive.Web.Components.Parts;
using NitroLive.Web.Components.Services;
using NitroLive.Web.Live;

namespace NitroLive.Web.Components.Pages;

/// <summary>
/// The studio (<c>/</c>): a new session owned by this browser tab. The same page serves a shared session
/// (<c>/s/{id}</c>): it opens as viewer (typist when the owner opened typing), or as owner in the owner's browser.
/// </summary>
public sealed partial class Studio
{
    private const string StudioKey = "nitro-studio";

    // The name this browser last chose: every session it opens or joins next starts with it.
    private const string NameKey = "nitro-name";

    private const int UnknownWordsShown = 5;

    /// <summary>How long after somebody else's last change of the prompt they are still shown as typing.</summary>
    internal static readonly TimeSpan TypingMarkFor = TimeSpan.FromSeconds(2);

    private PromptBox? _prompt;
    private int _seedResets;
    private bool _earlierSessionEnded;
    private string? _promptError;
    private bool _focused;
    private string? _typingBy;
    private long _typingAt;
    private ITimer? _typingEnd;

    /// <summary>The shared session's id (<c>/s/{id}</c>); null in the studio.</summary>
    [Parameter]
    public string? SessionId { get; set; }

    [Inject]
    private PromptSuggestions Suggestions { get; set; } = default!;

    [Inject]
    private KioskRegistry Kiosks { get; set; } = default!;

    [Inject]
    private PromptBlocklist Blocklist { get; set; } = default!;

    /// <inheritdoc />
    protected override bool KeepsHistory => true;

    // The studio's strip outlives its session (a new one after the old ended keeps the pictures); a shared session's
    // is that session's.
    /// <inheritdoc />
    protected override string? HistoryKey => SessionId is null ? "nitro-history" : $"nitro-history:{SessionId}";

    private bool IsSharedView => SessionId is not null;

    /// <inheritdoc />
    protected override string? RequestedSession => SessionId;

    private string Title => IsSharedView ? "NitroLive: shared session" : "NitroLive studio";

    private IReadOnlyList<string> Examples => Suggestions.ForStudio(State?.Request.ModelVariant);

    // Realism / Vibrant when the service offers both; one entry (the embedded model) shows the model's own name.
    private IReadOnlyList<LiveModelVariant> Variants => Live.Limits.ModelVariants;

    private PromptVocabulary Vocabulary => Suggestions.VocabularyOf(State?.Request.ModelVariant);

    // Shown under the prompt in place of the usual help while the prompt holds words the model does not know.
    private string? VocabularyHint => PromptVocabulary.Describe(Vocabulary.UnknownWords(State?.Request.Prompt), UnknownWordsShown);

    // The same, read out as it appears: finished words only (see Studio.razor).
    private string? VocabularyAnnouncement => PromptVocabulary.Describe(Vocabulary.UnknownFinishedWords(State?.Request.Prompt), UnknownWordsShown);

    private string FrameLabel => Stats.Last is { } frame
        ? $"Picture of “{frame.Request.Prompt}”"
        : "No picture yet";

    private string Placeholder => Member is null
        ? "Connecting…"
        : string.IsNullOrEmpty(State?.Request.Prompt)
            ? (CanType ? "Type a prompt and the picture follows." : "Waiting for somebody to type…")
            : "Drawing the first picture…";

    // In a shared session the prompt may be someone else's: the field's label names who typed it.
    private string PromptLabel
    {
        get
        {
            // While the page joins its session nobody may type yet, but it is not a viewer's field: no "(live)".
            var label = CanType || Member is null ? "Prompt" : "Prompt (live)";
            return PromptAuthor is not { } name ? label
                : TypingNow is not null ? $"{label}, {name} is typing…"
                : $"{label}, typed by {name}";
        }
    }

    // The member whose changes are arriving now, somebody else: a prompt that stands still is "typed by", one that moves
    // is being typed, so a typist knows to wait and a viewer knows the picture is about to change.
    private string? TypingNow => _typingBy is { } by && State?.PromptBy == by && State.Members.Any(m => m.Holds(by)) ? by : null;

    private string? PromptAuthor => State is { PromptBy: { } by } state && !IsMine(state, by) && !string.IsNullOrEmpty(state.Request.Prompt)
        ? state.Members.FirstOrDefault(m => m.Holds(by))?.DisplayName
        : null;

    // A phone at a kiosk finds the screen's prompt (its playlist's, or another phone's) in the field: a tap selects it, so
    // typing replaces it instead of landing in its middle. Once the prompt is this person's own, a tap places the caret.
    private bool ReplacesOnFocus => SessionId is not null && Kiosks.IsKioskSession(SessionId)
        && !(State is { PromptBy: { } by } state && IsMine(state, by));

    // This person's name as the session lists it: a rename on another page of theirs shows here too.
    private string? MyName => MyEntryIn(State)?.DisplayName;

    // This page's role as a session state lists it; null for no state (a page's first, or a switch's).
    private LiveRole? MyRoleIn(LiveSessionState? state) => MyEntryIn(state)?.Role;

    // This person's entry in a session state's list (this page, or the guest's entry that holds it).
    private LiveMemberInfo? MyEntryIn(LiveSessionState? state) => state?.Members.FirstOrDefault(m => m.Holds(Member?.MemberId));

    // This page or another of this person's (a second tab of the same guest, or another owner page: the owner token is
    // one person's): their typing is not somebody else's.
    private bool IsMine(LiveSessionState state, string memberId)
    {
        if (Member?.MemberId is not { } mine || mine == memberId)
        {
            return Member is not null;
        }

        var me = MyEntryIn(state);
        return me is not null && (me.Holds(memberId) || (me.Role == LiveRole.Owner && state.Members.Any(m => m.Role == LiveRole.Owner && m.Holds(memberId))));
    }

    private string RoleNote => Role switch
    {
        LiveRole.Owner => "You own this session: you type, and you decide who else may.",
        LiveRole.Typist => "You may type: everybody here sees your prompt and the pictures live.",
        // Nobody can grant typing while the owner is away, and with nobody else typing the picture stands still: say why
        // instead of promising what cannot happen.
        _ when State is { } state && !state.Members.Any(m => m.Role is LiveRole.Owner or LiveRole.Typist) =>
            "The owner has left: the picture stays as it is until they come back.",
        _ => "You are watching live. The owner can let you type.",
    };

    /// <inheritdoc />
    protected override async Task<ILiveMember> OpenAsync(CancellationToken cancellationToken)
    {
        _earlierSessionEnded = false;

        // The name this browser chose last is for sessions that do not know this person yet: one that does (an owner's
        // reload, a guest back with their key) keeps the name it knew, which may have been chosen there since.
        var name = StoredName(await LoadAsync("local", NameKey, cancellationToken));
        if (SessionId is not null)
        {
            return await TryRejoinAsOwnerAsync(SessionId, null, cancellationToken) ?? await JoinAsGuestAsync(SessionId, cancellationToken, name);
        }

        // The tab's own session survives a reload or a lost circuit, so its share link keeps working.
        var saved = await LoadAsync("session", StudioKey, cancellationToken);
        if (!string.IsNullOrEmpty(saved) && await TryRejoinAsOwnerAsync(saved, null, cancellationToken) is { } rejoined)
        {
            return rejoined;
        }

        // The tab's session is gone (nobody was in it for the grace period): a new one starts, and the person is told,
        // since the link they may have shared leads nowhere now. A session still there that only refused this tab's
        // owner token is not "ended".
        _earlierSessionEnded = !string.IsNullOrEmpty(saved) && Live.GetSessionState(saved) is null;

        var member = Live.CreateSession(new CreateSessionOptions(DisplayName: name, TypingOpen: false));
        return await KeepAsync(member, async () =>
        {
            await SaveAsync("session", StudioKey, member.SessionId, cancellationToken);
            await RememberOwnerAsync(member, cancellationToken);
        });
    }

    /// <inheritdoc />
    protected override void OnSwitchingSession()
    {
        _focused = false;
        _promptError = null;
        _typingBy = null;
    }

    /// <inheritdoc />
    protected override async ValueTask OnLeavingAsync()
    {
        if (_typingEnd is { } timer)
        {
            _typingEnd = null;
            await timer.DisposeAsync();
        }
    }

    /// <inheritdoc />
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        await base.OnAfterRenderAsync(firstRender);

        // The field is read-only until the session is open; the studio then puts the caret in it, ready to type.
        if (!_focused && !IsSharedView && CanType && _prompt is not null)
        {
            _focused = true;
            await TryBrowserCallAsync(_prompt.FocusAsync, Leaving);
        }
    }

    /// <inheritdoc />
    protected override Task OnSessionStateAsync(LiveSessionState? previous, LiveSessionState current)
    {
        // A grant or a stop changes what the page lets you do, mid-sentence perhaps: say so where it shows, not only in
        // the role note under the field.
        switch (MyRoleIn(previous), MyRoleIn(current))
        {
            case (LiveRole.Viewer, LiveRole.Typist):
                Snackbar.Add("You may type now: the picture follows your prompt.", Severity.Success);
                break;
            case (LiveRole.Typist, LiveRole.Viewer):
                Snackbar.Add("The owner took typing back: you are watching now.", Severity.Info);
                break;
        }

        if (previous is not null && current.RequestId != previous.RequestId)
        {
            _promptError = null;
        }

        if (previous is not null && !string.Equals(current.Request.Prompt, previous.Request.Prompt, StringComparison.Ordinal))
        {
            _typingBy = current.PromptBy is { } by && !IsMine(current, by) && LooksTyped(previous.Request.Prompt, current.Request.Prompt) ? by : null;
            if (_typingBy is not null && !Leaving.IsCancellationRequested)
            {
                _typingAt = Time.GetTimestamp();
                _typingEnd ??= Time.CreateTimer(static page => ((Studio)page!).OnTypingMarkDue(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _typingEnd.Change(TypingMarkFor, Timeout.InfiniteTimeSpan);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Whether a change of the prompt is a few keystrokes (some letters added, deleted or replaced in one place; the
    /// field coalesces keys typed faster than its send interval), not a prompt shown whole: an example or a history
    /// entry picked, a kiosk's playlist moving on. Those replace the text outright and are nobody typing.
    /// </summary>
    internal static bool LooksTyped(string before, string after)
    {
        const int MaxChanged = 8;
        var prefix = 0;
        var shorter = Math.Min(before.Length, after.Length);
        while (prefix < shorter && before[prefix] == after[prefix])
        {
            prefix++;
        }

        var suffix = 0;
        while (suffix < shorter - prefix && before[^(suffix + 1)] == after[^(suffix + 1)])
        {
            suffix++;
        }

        return before.Length - prefix - suffix <= MaxChanged && after.Length - prefix - suffix <= MaxChanged;
    }

    // On a timer thread: the mark is the renderer's. Nothing waits on the dispatch: EndTypingMark does not throw, and a
    // dispatch refused because the circuit is gone takes the page with it.
    private void OnTypingMarkDue() => _ = InvokeAsync(EndTypingMark);

    private void EndTypingMark()
    {
        if (_typingBy is null)
        {
            return;
        }

        // A change that came while the timer fired moved the end.
        if (TypingMarkFor - Time.GetElapsedTime(_typingAt) is { Ticks: > 0 } left)
        {
            _typingEnd?.Change(left, Timeout.InfiniteTimeSpan);
            return;
        }

        _typingBy = null;
        StateHasChanged();
    }

    private void DismissSessionEnded() => _earlierSessionEnded = false;

    private Task SendPromptAsync(string prompt)
    {
        _earlierSessionEnded = false;
        ChangePrompt(prompt, member => member.SetPrompt(prompt));
        return Task.CompletedTask;
    }

    private Task CommitPromptAsync(string prompt)
    {
        // Enter: the prompt is complete, so it is shown, not typed: drawn in full at once, also when its draft is on screen.
        ChangePrompt(prompt, member => member.ShowPrompt(prompt));
        return Task.CompletedTask;
    }

    private async Task UseExampleAsync(string example)
    {
        // A whole prompt picked at once is shown, not typed: its picture comes in full at once, not as a draft first.
        if (_prompt is not null && ChangePrompt(example, member => member.ShowPrompt(example)) is not null)
        {
            _prompt.Replace(example);
            await TryBrowserCallAsync(_prompt.FocusAsync, Leaving);
        }
    }

    private LiveRequestAccepted? ChangePrompt(string prompt, Func<ILiveMember, LiveRequestAccepted> change)
    {
        // Early feedback for phones on a public kiosk's session, without a round trip; the live service enforces the
        // blocklist in that session anyway (blocked_prompt).
        if (SessionId is not null && Kiosks.IsKioskSession(SessionId) && Blocklist.IsBlocked(prompt))
        {
            _promptError = "This kiosk does not show that prompt. Try something else.";
            return null;
        }

        _promptError = null;
        return TryChange(change);
    }

    private Task ChangeAsync(LiveRequestPatch patch)
    {
        TryChange(member => member.UpdateRequest(patch));
        return Task.CompletedTask;
    }

    private Task VaryAsync()
    {
        TryChange(member => member.Reroll());
        return Task.CompletedTask;
    }

    // From "/" the router would keep this very page (same address): a fresh load is what starts a new session there.
    private void StartOwn() => Navigation.NavigateTo("/", forceLoad: !IsSharedView);

    private Task RestoreAsync(HistoryItem item)
    {
        // The picture back exactly: entries differ by steps, size and variant too, not only by prompt and seed.
        var request = item.Request;
        if (TryChange(member => member.ShowRequest(new LiveRequestPatch(
            Prompt: request.Prompt, Steps: request.Steps, SeedMode: SeedMode.Fixed, Seed: request.Seed,
            Width: request.Width, Height: request.Height, ModelVariant: request.ModelVariant))) is not null)
        {
            _prompt?.Replace(request.Prompt);
            _seedResets++;
        }

        return Task.CompletedTask;
    }

    // What the browser kept is the browser's to change: a name the session would refuse outright is no reason for the
    // join to fail, so the page joins without it.
    private static string? StoredName(string? stored)
    {
        try
        {
            return DisplayNames.Clean(stored) is { Length: > 0 } name ? name : null;
        }
        catch (LiveException)
        {
            return null;
        }
    }

    private async Task<NameChange> RenameAsync(string name)
    {
        if (Member is null)
        {
            return new NameChange(null, "Not in a session yet: try again in a moment.");
        }

        string kept;
        try
        {
            kept = Member.Rename(name);
        }
        catch (LiveException ex)
        {
            return new NameChange(null, ex.Message);
        }

        await SaveAsync("local", NameKey, kept, Leaving);
        return new NameChange(kept, null);
    }

    private void Grant(string memberId) => TryOwnerAction(member => member.GrantTyping(memberId));

    private void Revoke(string memberId) => TryOwnerAction(member => member.RevokeTyping(memberId));

    private void SetTypingOpen(bool open) => TryOwnerAction(member => member.SetTypingOpen(open));

    // For pasting into a chat or a document: the full-quality picture, as Download PNG saves it, or what the screen shows
    // when the server no longer holds that frame.
    private async Task CopyPictureAsync()
    {
        if (Member is null || Frame is null || Stats.Last is not { } frame)
        {
            return;
        }

        var png = await FullQualityPngAsync(Member, frame);
        var outcome = "refused";
        try
        {
            if (!await TryBrowserCallAsync(async token => outcome = await Frame.CopyPictureAsync(png, token), Leaving))
            {
                return;
            }
        }
        catch (JSException)
        {
        }

        switch (outcome)
        {
            case "copied":
                Snackbar.Add("Picture copied.", Severity.Success);
                break;
            case "insecure":
                // Browsers keep the clipboard from pages served over plain http by another machine; the server's address
                // over https, or localhost, has it.
                Snackbar.Add("Copying needs a secure page (https, or localhost): Download PNG saves the picture.", Severity.Info);
                break;
            default:
                Snackbar.Add("This browser did not let the picture be copied: Download PNG saves it.", Severity.Info);
                break;
        }
    }

    private Task CopyShareLinkAsync() =>
        Member is null ? Task.CompletedTask : CopyAsync(ShareUrl(Member.SessionId), "Share link");
}
