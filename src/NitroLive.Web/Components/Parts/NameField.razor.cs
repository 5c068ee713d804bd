using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace NitroLive.Web.Components.Parts;

/// <summary>
/// The name the others in a session see for this person, changed where it is shown: applied on Enter or on leaving the
/// field, never per keystroke (every rename is a state sent to everybody).
/// </summary>
public sealed partial class NameField
{
    private MudTextField<string>? _field;
    private string _text = string.Empty;
    private string? _shown;
    private string? _error;
    private bool _editing;
    private bool _applying;
    private string? _kept;
    private string? _announcement;

    /// <summary>The name the session has for this person now.</summary>
    [Parameter]
    [EditorRequired]
    public string Name { get; set; } = string.Empty;

    /// <summary>The longest name the session takes.</summary>
    [Parameter]
    public int MaxLength { get; set; } = 64;

    /// <summary>
    /// Renames this person: the name as the session keeps it (shown at once, cleaned), or why it was refused (shown under
    /// the field, with what was typed left in it to correct).
    /// </summary>
    [Parameter]
    [EditorRequired]
    public Func<string, Task<NameChange>> Rename { get; set; } = default!;

    private const string Help = "What the others here call you. This browser keeps it for your next sessions.";

    /// <inheritdoc />
    protected override void OnParametersSet()
    {
        // A name from the session (this rename as kept, or one made on another page of this person) replaces the text,
        // a refused name and its error too; not while the person is in the field, where it would wipe what they are
        // typing (it shows when they leave, unless they apply a name of their own first).
        if (Name != _shown)
        {
            _shown = Name;
            if (Name == _kept)
            {
                _kept = null; // the session caught up with this page's rename
            }

            if (!_editing)
            {
                _text = Name;
                _error = null;
            }
        }
    }

    // Escape gives up what was typed: the name the others know comes back, and a refusal's error goes.
    private async Task OnKeyDownAsync(KeyboardEventArgs args)
    {
        if (args.Key != "Escape" || _field is null)
        {
            return;
        }

        _error = null;
        _announcement = null;
        _text = Name;
        await _field.SetTextAsync(Name);
    }

    // After the field's change event (the browser sends it before focus leaves): a name typed is applied, or being
    // applied, already. What is left to show is a name the session changed meanwhile (on another page of this person).
    private async Task EndEditingAsync()
    {
        _editing = false;
        if (!_applying && _error is null && _text != Name && _text != _kept)
        {
            _text = Name;
            if (_field is not null)
            {
                await _field.SetTextAsync(Name);
            }
        }
    }

    private async Task ApplyAsync(string? text)
    {
        // The field reporting the text this component just gave it (below): nothing new to apply.
        if (text == _text)
        {
            return;
        }

        _text = text ?? string.Empty;
        _error = null;
        _applying = true;
        try
        {
            // An emptied field is no name to refuse: it goes back to the one the others know (so does the same name
            // again, spaces and all).
            var change = string.IsNullOrWhiteSpace(_text) || _text.Trim() == Name ? new NameChange(Name, null) : await Rename(_text);
            _error = change.Refused;
            _kept = change.Kept ?? _kept;
            _announcement = change.Refused ?? (change.Kept is { } now && now != Name ? $"The others see you as {now} now." : null);
            if (change.Kept is { } kept && kept != _text)
            {
                // The field's own text, not only its value: the value it was given last may be this very name, and a
                // value given again unchanged leaves what the person typed on screen.
                _text = kept;
                if (_field is not null)
                {
                    await _field.SetTextAsync(kept);
                }
            }
        }
        finally
        {
            _applying = false;
        }
    }
}

/// <summary>What became of a rename: the name as the session keeps it, or why it refused the name.</summary>
/// <param name="Kept">The name as kept; null when refused.</param>
/// <param name="Refused">Why the name was refused, for the person to read; null when kept.</param>
public sealed record NameChange(string? Kept, string? Refused);
