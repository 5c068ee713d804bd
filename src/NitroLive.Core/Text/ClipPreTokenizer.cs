using Microsoft.ML.Tokenizers;

namespace NitroLive.Core.Text;

/// <summary>
/// CLIP's split, a hand-written matcher for
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// as Python's regex module runs it with IGNORECASE, over code points (a .NET Regex sees surrogate halves, so
/// an astral letter such as U+1D400 would not be \p{L}). Alternatives are tried in order at each position and the
/// first that matches wins, as in a regex alternation; the runs are greedy and need no backtracking.
/// </summary>
internal sealed class ClipPreTokenizer : PreTokenizer
{
    internal static readonly ClipPreTokenizer Instance = new();

    private static readonly string[] SpecialTokens = ["<|startoftext|>", "<|endoftext|>"];
    private static readonly string[] Contractions = ["s", "t", "re", "ve", "m", "ll", "d"];

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Split(text);
    }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Split(text.ToString());

    // Lazy, so that an encode capped at MaxLength - 2 ids stops reading a long prompt early.
    internal static IEnumerable<(int Offset, int Length)> Split(string text)
    {
        int i = 0;
        while (i < text.Length)
        {
            int length = MatchAt(text, i);
            if (length > 0)
            {
                yield return (i, length);
                i += length;
            }
            else
            {
                i += -length;
            }
        }
    }

    /// <summary>Length of the token starting at i, or minus the width of the code point to skip.</summary>
    private static int MatchAt(string text, int i)
    {
        char c = text[i];
        if (c == '<')
        {
            foreach (var special in SpecialTokens)
            {
                if (MatchesIgnoreCase(text, i, special))
                {
                    return special.Length;
                }
            }
        }
        else if (c == '\'')
        {
            foreach (var contraction in Contractions)
            {
                if (MatchesIgnoreCase(text, i + 1, contraction))
                {
                    return contraction.Length + 1;
                }
            }
        }

        int cp = Utf16.CodePointAt(text, i, out int width);
        var charClass = ClipUnicodeData.Classify(cp);
        switch (charClass)
        {
            case ClipCharClass.Letter:
            case ClipCharClass.Other:
                int end = i + width;
                while (end < text.Length)
                {
                    int next = Utf16.CodePointAt(text, end, out int nextWidth);
                    if (ClipUnicodeData.Classify(next) != charClass)
                    {
                        break;
                    }

                    end += nextWidth;
                }

                return end - i;
            case ClipCharClass.Number:
                return width;
            default:
                return -width;
        }
    }

    // The pattern's literals are ASCII; after lower-casing, the only other code point IGNORECASE equates with one
    // of them is U+017F LATIN SMALL LETTER LONG S (with 's'); upper-case ASCII is accepted for callers that skip
    // lower-casing.
    private static bool MatchesIgnoreCase(string text, int start, string literal)
    {
        if (start + literal.Length > text.Length)
        {
            return false;
        }

        for (int k = 0; k < literal.Length; k++)
        {
            char t = text[start + k];
            char l = literal[k];
            if (t != l && !(char.IsAsciiLetter(l) && (t | 0x20) == l) && !(l == 's' && t == '\u017F'))
            {
                return false;
            }
        }

        return true;
    }
}
