using System.Text;

namespace NitroLive.Web.Components.Services;

/// <summary>
/// The words of a prompt that a model with a small vocabulary does not know. The embedded demo model knows about thirty
/// words and was trained to ignore any other, so "a red cat" draws nothing where the cat should be; the studio says which
/// words it left out instead of leaving people to guess. A model that names no vocabulary (CLIP reads any text) has none.
/// </summary>
internal sealed class PromptVocabulary
{
    private readonly HashSet<string> _words;
    private readonly string[] _sorted;

    public PromptVocabulary(IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        _words = new HashSet<string>(words.Select(w => w.ToLowerInvariant()), StringComparer.Ordinal);
        _sorted = [.. _words.Order(StringComparer.Ordinal)];
    }

    /// <summary>True when the model names no vocabulary: every word counts as known.</summary>
    public bool IsEmpty => _words.Count == 0;

    /// <summary>
    /// The distinct unknown words of <paramref name="prompt"/>, lower case, in order. Words are runs of letters and digits
    /// (punctuation is not a word to the model). The word still being typed (the prompt ends in it) only counts once no
    /// known word starts with it, so "a red ci" on the way to "circle" is not flagged.
    /// </summary>
    public IReadOnlyList<string> UnknownWords(string? prompt) => Unknown(prompt, finishedOnly: false);

    /// <summary>
    /// The distinct unknown words of <paramref name="prompt"/> that are finished: followed by a space or punctuation. For
    /// what is read out as the prompt changes, where a word being typed would be announced again at every keystroke.
    /// </summary>
    public IReadOnlyList<string> UnknownFinishedWords(string? prompt) => Unknown(prompt, finishedOnly: true);

    /// <summary>
    /// The sentence that names <paramref name="unknown"/> words (the first <paramref name="shown"/> of them); null when
    /// there are none.
    /// </summary>
    public static string? Describe(IReadOnlyList<string> unknown, int shown)
    {
        ArgumentNullException.ThrowIfNull(unknown);
        if (unknown.Count == 0)
        {
            return null;
        }

        var listed = string.Join(", ", unknown.Take(shown).Select(w => $"“{Isolated(w)}”")) + (unknown.Count > shown ? ", …" : string.Empty);
        return unknown.Count == 1
            ? $"This model does not know the word {listed} and leaves it out."
            : $"This model does not know the words {listed} and leaves them out.";
    }

    // A right-to-left word (Hebrew, Arabic…) in this English sentence would reorder the quotes and commas around it and
    // its neighbours: set apart (first-strong isolate, the text form of <bdi>), it reads as typed. A help text is plain
    // text, so no markup.
    private static string Isolated(string word) =>
        word.Any(c => c is >= '\u0590' and <= '\u08FF' or >= '\uFB1D' and <= '\uFDFF' or >= '\uFE70' and <= '\uFEFF')
            ? $"\u2068{word}\u2069"
            : word;

    private List<string> Unknown(string? prompt, bool finishedOnly)
    {
        if (IsEmpty || string.IsNullOrEmpty(prompt))
        {
            return [];
        }

        var unknown = new List<string>();
        var word = new StringBuilder();
        for (var i = 0; i <= prompt.Length; i++)
        {
            if (i < prompt.Length && char.IsLetterOrDigit(prompt[i]))
            {
                word.Append(char.ToLowerInvariant(prompt[i]));
                continue;
            }

            if (word.Length > 0)
            {
                var text = word.ToString();
                var stillTyping = i == prompt.Length;
                var judged = !stillTyping || (!finishedOnly && !StartsAKnownWord(text));
                if (judged && !_words.Contains(text) && !unknown.Contains(text))
                {
                    unknown.Add(text);
                }

                word.Clear();
            }
        }

        return unknown;
    }

    private bool StartsAKnownWord(string prefix)
    {
        var at = Array.BinarySearch(_sorted, prefix, StringComparer.Ordinal);
        var next = at >= 0 ? at : ~at;
        return next < _sorted.Length && _sorted[next].StartsWith(prefix, StringComparison.Ordinal);
    }
}
