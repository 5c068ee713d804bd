using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;
using NitroLive.Web.Components.Services;

namespace NitroLive.Web.Components.Parts;

/// <summary>
/// The prompt field. Typing sends the prompt by itself, a keystroke after a pause at once and at most one send per
/// interval while typing goes on (see <see cref="PromptThrottle"/>); Enter commits the prompt at once (see
/// <see cref="OnCommit"/>). People who may not type see the session's prompt change live as the typists type.
/// </summary>
public sealed partial class PromptBox : IAsyncDisposable
{
    // How long after the last keystroke the field keeps the local text over the session's (echoes of older sends
    // would otherwise move the caret back).
    private static readonly TimeSpan LocalEditHold = TimeSpan.FromMilliseconds(1500);

    // What this field sent in the current burst of typing tells an echo of it from somebody else's prompt; a bound,
    // since echoes come back in order and only the last few can still be on their way.
    private const int OwnSendsKept = 64;

    private readonly Queue<string> _ownSends = new();
    private PromptThrottle? _throttle;
    private ITimer? _holdEnd;
    private bool _disposed;
    private MudTextField<string>? _field;
    private string _text = string.Empty;
    private string? _lastRemote;
    private string? _lastSent;
    private string? _lastOwnSend;
    private long _lastEdit;
    private bool _editedOnce;
    private object? _rendered;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    /// <summary>The session's current prompt; shown unless the user is in the middle of typing.</summary>
    [Parameter]
    public string? SessionPrompt { get; set; }

    /// <summary>Whether this member may type.</summary>
    [Parameter]
    public bool CanType { get; set; }

    /// <summary>
    /// Whether the field shows somebody else's prompt live (a viewer's): marked with an eye. A field that may not be
    /// typed in only because the page is still joining its session keeps the typist's look.
    /// </summary>
    [Parameter]
    public bool Watching { get; set; }

    /// <summary>Longest prompt accepted.</summary>
    [Parameter]
    public int MaxLength { get; set; } = 500;

    /// <summary>Shortest time between two sends while typing, in ms: a keystroke after a pause goes out at once.</summary>
    [Parameter]
    public int SendIntervalMs { get; set; } = 40;

    /// <summary>The field's label.</summary>
    [Parameter]
    public string Label { get; set; } = "Prompt";

    /// <summary>Text under the field when there is no error.</summary>
    [Parameter]
    public string? HelperText { get; set; }

    /// <summary>An error to show under the field (a refused prompt).</summary>
    [Parameter]
    public string? ErrorText { get; set; }

    /// <summary>Whether the field takes focus when the page opens.</summary>
    [Parameter]
    public bool AutoFocus { get; set; }

    /// <summary>
    /// Whether focusing the field selects its text (boot.js), so that typing replaces it: a prompt that is not this
    /// person's, which they came to replace rather than edit (a kiosk's own prompt, on a phone that joined it).
    /// </summary>
    [Parameter]
    public bool SelectOnFocus { get; set; }

    /// <summary>Called with a prompt to send; at most once per <see cref="SendIntervalMs"/> while typing.</summary>
    [Parameter]
    public EventCallback<string> OnSend { get; set; }

    /// <summary>
    /// Called with the field's text when Enter says the prompt is complete, sent or not (the page can then ask for the
    /// full picture at once); without a handler, Enter sends like typing does.
    /// </summary>
    [Parameter]
    public EventCallback<string> OnCommit { get; set; }

    /// <summary>The text currently in the field.</summary>
    public string Text => _text;

    private bool NearLimit => _text.Length > MaxLength * 0.8;

    // At the limit the browser drops whatever else is typed or pasted, silently: say so, above any other help.
    private string? Helper => CanType && _text.Length >= MaxLength
        ? string.Create(CultureInfo.InvariantCulture, $"A prompt stops at {MaxLength} characters: the rest was left out.")
        : HelperText ?? (CanType ? "Pictures follow as you type. Enter draws it in full at once." : null);

    /// <summary>Shows a prompt that was already sent another way (an example prompt, history restore), without sending it again.</summary>
    public void Replace(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        _text = prompt;
        _lastSent = prompt;
        StartEdit();
        RememberOwnSend(prompt);
        StateHasChanged();
    }

    /// <summary>Moves keyboard focus to the field; stops waiting for the browser when <paramref name="cancellationToken"/> fires.</summary>
    public async Task FocusAsync(CancellationToken cancellationToken)
    {
        if (_field is not null)
        {
            // MudBlazor's call takes no token: a browser that never answers (the connection dropped with the call in
            // flight) is left to Blazor's one-minute interop timeout, but nothing here waits for it.
            await _field.FocusAsync().AsTask().WaitAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Once only: the renderer disposes the component too when a page goes away after an explicit dispose.
        _disposed = true;
        if (_holdEnd is { } holdEnd)
        {
            _holdEnd = null;
            await holdEnd.DisposeAsync();
        }

        if (_throttle is { } throttle)
        {
            _throttle = null;
            await throttle.DisposeAsync();
        }
    }

    /// <inheritdoc />
    protected override bool ShouldRender()
    {
        // The page re-renders on every frame; the field only when something it shows changed.
        var key = (_text, CanType, ErrorText, Label, HelperText, MaxLength);
        if (Equals(key, _rendered))
        {
            return false;
        }

        _rendered = key;
        return true;
    }

    /// <inheritdoc />
    protected override void OnInitialized()
    {
        _throttle = new PromptThrottle(text => InvokeAsync(() => SendAsync(text)), TimeSpan.FromMilliseconds(SendIntervalMs), Time);
    }

    /// <inheritdoc />
    protected override void OnParametersSet()
    {
        if (!CanType && SessionPrompt is { } shown && _text != shown)
        {
            // Typing taken away mid-word: a read-only field shows the session's prompt, not keystrokes that never went out.
            _text = shown;
            _lastRemote = shown;
            _lastSent = shown;
            return;
        }

        if (SessionPrompt is null || SessionPrompt == _lastRemote)
        {
            return;
        }

        _lastRemote = SessionPrompt;

        // Sends are compared with the session's prompt, so typing back what somebody else replaced still goes out.
        _lastSent = SessionPrompt;
        if (HoldLeft() is { Ticks: > 0 } left)
        {
            // Not shown now, but not forgotten: somebody else's prompt shows once the typing here pauses.
            _holdEnd ??= Time.CreateTimer(static box => ((PromptBox)box!).OnHoldEnd(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _holdEnd.Change(left, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _text = SessionPrompt;
        }
    }

    private TimeSpan HoldLeft() =>
        CanType && _editedOnce ? LocalEditHold - Time.GetElapsedTime(_lastEdit) : TimeSpan.Zero;

    // On a timer thread: the field is the renderer's to change. Nothing waits on the dispatch: ApplyHeldPrompt does not
    // throw, and a dispatch refused because the circuit is gone takes the field with it.
    private void OnHoldEnd() => _ = InvokeAsync(ApplyHeldPrompt);

    private void ApplyHeldPrompt()
    {
        if (_disposed)
        {
            return;
        }

        if (HoldLeft() is { Ticks: > 0 } left)
        {
            _holdEnd?.Change(left, Timeout.InfiniteTimeSpan);
            return;
        }

        // Only somebody else's prompt replaces the text, and only text that went out: an echo of an older keystroke
        // here (the newest was refused, say) or a keystroke still on its way would undo the typing.
        if (CanType && SessionPrompt is { } newest && newest != _text && _text == _lastOwnSend && !_ownSends.Contains(newest))
        {
            _text = newest;
            StateHasChanged();
        }
    }

    private void StartEdit()
    {
        if (HoldLeft() <= TimeSpan.Zero)
        {
            // A new burst of typing: echoes of the last one are the session's prompt like any other.
            _ownSends.Clear();
        }

        _lastEdit = Time.GetTimestamp();
        _editedOnce = true;
    }

    private void RememberOwnSend(string text)
    {
        _lastOwnSend = text;
        if (_ownSends.Count == OwnSendsKept)
        {
            _ownSends.Dequeue();
        }

        _ownSends.Enqueue(text);
    }

    private void OnInput(string? value)
    {
        if (!CanType)
        {
            return;
        }

        _text = value ?? string.Empty;
        StartEdit();
        _throttle?.Push(_text);
    }

    private async Task OnKeyDown(KeyboardEventArgs e)
    {
        if (!CanType || e.Key != "Enter")
        {
            return;
        }

        if (OnCommit.HasDelegate)
        {
            // Sent here: the throttle's own send of the same text that may follow is not needed.
            _lastSent = _text;
            RememberOwnSend(_text);
            await OnCommit.InvokeAsync(_text);
        }
        else
        {
            await SendAsync(_text);
        }
    }

    private async Task SendAsync(string text)
    {
        // A throttled keystroke the field no longer holds is stale: a history restore or an example replaced it (and
        // sent its own prompt), or a newer keystroke follows in the throttle.
        if (!CanType || text == _lastSent || text != _text)
        {
            return;
        }

        _lastSent = text;
        RememberOwnSend(text);
        await OnSend.InvokeAsync(text);
    }
}
