using Microsoft.Extensions.Options;

namespace NitroLive.Web.Live;

/// <summary>
/// The public kiosks' prompt blocklist, bound from <c>NitroLive:Kiosk</c> (the kiosk page's section). The live service
/// enforces it in sessions created with <see cref="CreateSessionOptions.ApplyBlocklist"/>.
/// </summary>
public sealed class PromptBlocklistOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "NitroLive:Kiosk";

    /// <summary>
    /// Words and phrases a public kiosk's session refuses (case-insensitive, whole words; a trailing <c>*</c> matches
    /// any ending). A refused prompt is not generated, the session's request stays as it was and the last good frame
    /// stays on screen.
    /// </summary>
    public string[] Blocklist { get; set; } = [];
}

/// <summary>
/// The kiosk's prompt blocklist: whole-word, case-insensitive matching of configured words and phrases, with a
/// trailing <c>*</c> for "any ending". Matching runs on the prompt's words, so punctuation, case and extra spaces
/// do not slip a word through.
/// </summary>
internal sealed class PromptBlocklist
{
    private readonly string[][] _entries;

    public PromptBlocklist(IOptions<PromptBlocklistOptions> options)
        : this(options.Value.Blocklist)
    {
    }

    internal PromptBlocklist(IEnumerable<string> entries)
    {
        _entries = entries
            .Select(Words)
            .Where(words => words.Length > 0)
            .ToArray();
    }

    /// <summary>True when the blocklist has at least one entry.</summary>
    public bool IsActive => _entries.Length > 0;

    /// <summary>Whether the prompt contains a blocked word or phrase.</summary>
    public bool IsBlocked(string? prompt)
    {
        if (_entries.Length == 0 || string.IsNullOrWhiteSpace(prompt))
        {
            return false;
        }

        var words = Words(prompt);
        foreach (var entry in _entries)
        {
            for (var start = 0; start + entry.Length <= words.Length; start++)
            {
                if (Matches(entry, words, start))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool Matches(string[] entry, string[] words, int start)
    {
        for (var i = 0; i < entry.Length; i++)
        {
            var pattern = entry[i];
            var word = words[start + i];
            var ok = pattern.EndsWith('*')
                ? word.StartsWith(pattern[..^1], StringComparison.Ordinal)
                : string.Equals(word, pattern, StringComparison.Ordinal);
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    // Letters and digits make words; a '*' is kept so that entries can carry their wildcard.
    private static string[] Words(string text)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c) || c == '*')
            {
                current.Append(char.ToLowerInvariant(c));
            }
            else if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        return [.. words];
    }
}
