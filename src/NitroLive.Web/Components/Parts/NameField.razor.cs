using Microsoft.AspNetCore.Components;

namespace NitroLive.Web.Components.Parts;

/// <summary>
/// The name the others in a session see for this person, changed where it is shown: applied on Enter or on leaving the
/// field, never per keystroke (every rename is a state sent to everybody).
/// </summary>
public sealed partial class NameField
{
    private string _text = string.Empty;
    private string? _shown;
    private string? _error;

    /// <summary>The name the session has for this person now.</summary>
    [Parameter]
    [EditorRequired]
    public string Name { get; set; } = string.Empty;

    /// <summary>The longest name the session takes.</summary>
    [Parameter]
    public int MaxLength { get; set; } = 64;

    /// <summary>Shut while there is no membership to rename.</summary>
    [Parameter]
    public bool Disabled { get; set; }

    /// <summary>
    /// Renames this person: the name as the session keeps it (shown at once, cleaned), or why it was refused (shown under
    /// the field, with what was typed left in it to correct).
    /// </summary>
    [Parameter]
    [EditorRequired]
    public Func<string, Task<NameChange>> Rename { get; set; } = default!;

    private const string Help = "What the others in this session call you.";

    /// <inheritdoc />
    protected override void OnParametersSet()
    {
        // A name from the session (this rename as kept, or one made on another page of this person) replaces the text,
        // a refused name and its error too.
        if (Name != _shown)
        {
            _shown = Name;
            _text = Name;
            _error = null;
        }
    }

    private async Task ApplyAsync(string? text)
    {
        _text = text ?? string.Empty;
        _error = null;

        // An emptied field is no name to refuse: it goes back to the one the others know.
        if (string.IsNullOrWhiteSpace(_text))
        {
            _text = Name;
            return;
        }

        if (_text.Trim() == Name)
        {
            _text = Name;
            return;
        }

        var change = await Rename(_text);
        _error = change.Refused;
        if (change.Kept is { } kept)
        {
            _text = kept;
        }
    }
}

/// <summary>What became of a rename: the name as the session keeps it, or why it refused the name.</summary>
/// <param name="Kept">The name as kept; null when refused.</param>
/// <param name="Refused">Why the name was refused, for the person to read; null when kept.</param>
public sealed record NameChange(string? Kept, string? Refused);
