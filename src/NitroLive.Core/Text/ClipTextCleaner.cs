using System.Text;

namespace NitroLive.Core.Text;

/// <summary>
/// The reference's text cleaning: ftfy.fix_text (default config, without the mojibake decoder), html.unescape twice,
/// strip, collapse regex \s+ to one space, strip, Python str.lower(). See docs/tokenizer.md for the gaps.
/// </summary>
internal static class ClipTextCleaner
{
    internal static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IsPlainAscii(text))
        {
            return CollapseAndLowerAscii(text);
        }

        string s = FixText(text);
        s = HtmlUnescaper.PythonUnescape(HtmlUnescaper.PythonUnescape(s));
        s = CollapseWhitespace(PythonStrip(s));
        return PythonLower(s);
    }

    // Printable ASCII (no '&', which could start an entity) and tab/CR/LF: every ftfy and html step is the identity.
    private static bool IsPlainAscii(string text)
    {
        foreach (char c in text)
        {
            if (c is (< ' ' or > '~' or '&') and not ('\t' or '\n' or '\r'))
            {
                return false;
            }
        }

        return true;
    }

    private static string CollapseAndLowerAscii(string text)
    {
        Span<char> buffer = text.Length <= 1024 ? stackalloc char[text.Length] : new char[text.Length];
        int n = 0;
        bool pendingSpace = false;
        foreach (char c in text)
        {
            if (c is ' ' or '\t' or '\n' or '\r')
            {
                pendingSpace = n > 0;
                continue;
            }

            if (pendingSpace)
            {
                buffer[n++] = ' ';
                pendingSpace = false;
            }

            buffer[n++] = c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c;
        }

        return n == text.Length && buffer.SequenceEqual(text) ? text : new string(buffer[..n]);
    }

    /// <summary>ftfy.fix_text: line by line; HTML entities are left alone from the first line holding a '&lt;' on.</summary>
    internal static string FixText(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool unescapeHtml = true;
        int pos = 0;
        while (pos < text.Length)
        {
            int lineBreak = text.IndexOf('\n', pos);
            int end = lineBreak < 0 ? text.Length : lineBreak + 1;
            string segment = text.Substring(pos, end - pos);
            if (unescapeHtml && segment.Contains('<', StringComparison.Ordinal))
            {
                unescapeHtml = false;
            }

            sb.Append(FixSegment(segment, unescapeHtml));
            pos = end;
        }

        return sb.ToString();
    }

    private static string FixSegment(string s, bool unescapeHtml)
    {
        // ftfy repeats its fixers until the text stops changing.
        while (true)
        {
            string original = s;
            if (unescapeHtml)
            {
                s = HtmlUnescaper.FtfyUnescape(s);
            }

            s = MapChars(s);
            s = FixLineBreaks(s);
            s = FixSurrogates(s);
            s = RemoveTerminalEscapes(s);
            s = RemoveControlChars(s);
            s = UnicodeNormalizer.Nfc(s);
            if (string.Equals(s, original, StringComparison.Ordinal))
            {
                return s;
            }
        }
    }

    /// <summary>fix_c1_controls, fix_latin_ligatures, fix_character_width and uncurl_quotes, in ftfy's order.</summary>
    private static string MapChars(string s)
    {
        s = Translate(s, static c => c is >= '\u0080' and <= '\u009F' ? HtmlUnescaper.Windows1252C1[c - 0x80].ToString() : null);
        s = Translate(s, static c => Ligature(c));
        s = Translate(s, static c => ClipUnicodeData.Width.TryGetValue(c, out var w) ? w : null);
        return Translate(s, static c => c switch
        {
            '\u02BC' or (>= '\u2018' and <= '\u201B') => "'",
            >= '\u201C' and <= '\u201F' => "\"",
            _ => null,
        });
    }

    private static string? Ligature(char c) => c switch
    {
        '\u0132' => "IJ",
        '\u0133' => "ij",
        '\u0149' => "\u02BCn",
        '\u01F1' => "DZ",
        '\u01F2' => "Dz",
        '\u01F3' => "dz",
        '\u01C4' => "D\u017D",
        '\u01C5' => "D\u017E",
        '\u01C6' => "d\u017E",
        '\u01C7' => "LJ",
        '\u01C8' => "Lj",
        '\u01C9' => "lj",
        '\u01CA' => "NJ",
        '\u01CB' => "Nj",
        '\u01CC' => "nj",
        '\uFB00' => "ff",
        '\uFB01' => "fi",
        '\uFB02' => "fl",
        '\uFB03' => "ffi",
        '\uFB04' => "ffl",
        '\uFB05' => "\u017Ft",
        '\uFB06' => "st",
        _ => null,
    };

    private static string Translate(string s, Func<char, string?> map)
    {
        int first = -1;
        for (int i = 0; i < s.Length; i++)
        {
            if (map(s[i]) is not null)
            {
                first = i;
                break;
            }
        }

        if (first < 0)
        {
            return s;
        }

        var sb = new StringBuilder(s.Length + 8);
        sb.Append(s, 0, first);
        for (int i = first; i < s.Length; i++)
        {
            if (map(s[i]) is { } replacement)
            {
                sb.Append(replacement);
            }
            else
            {
                sb.Append(s[i]);
            }
        }

        return sb.ToString();
    }

    private static string FixLineBreaks(string s)
    {
        if (s.AsSpan().IndexOfAny("\r\u2028\u2029\u0085") < 0)
        {
            return s;
        }

        return s.Replace("\r\n", "\n", StringComparison.Ordinal)
            .Replace('\r', '\n')
            .Replace('\u2028', '\n')
            .Replace('\u2029', '\n')
            .Replace('\u0085', '\n');
    }

    // A .NET string can hold unpaired surrogates; ftfy turns them into U+FFFD (pairs are already one code point).
    private static string FixSurrogates(string s)
    {
        if (!s.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            return s;
        }

        var chars = s.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(chars[i]))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }

    // ESC '[' (digit | ';')* letter, where digit is any Unicode decimal digit (Python re's \d).
    private static string RemoveTerminalEscapes(string s)
    {
        int esc = s.IndexOf('\u001B', StringComparison.Ordinal);
        if (esc < 0)
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        int i = 0;
        while (i < s.Length)
        {
            if (s[i] == '\u001B' && i + 1 < s.Length && s[i + 1] == '[')
            {
                int q = i + 2;
                while (q < s.Length)
                {
                    if (s[q] == ';' || char.IsDigit(s[q]))
                    {
                        q++;
                    }
                    else if (char.IsSurrogatePair(s, q) && char.IsDigit(s, q))
                    {
                        q += 2;
                    }
                    else
                    {
                        break;
                    }
                }

                if (q < s.Length && char.IsAsciiLetter(s[q]))
                {
                    i = q + 1;
                    continue;
                }
            }

            sb.Append(s[i]);
            i++;
        }

        return sb.ToString();
    }

    private static bool IsRemovedControl(char c) =>
        c is <= '\u0008' or '\u000B' or (>= '\u000E' and <= '\u001F') or '\u007F'
            or (>= '\u206A' and <= '\u206F') or '\uFEFF' or (>= '\uFFF9' and <= '\uFFFC');

    private static string RemoveControlChars(string s)
    {
        int first = -1;
        for (int i = 0; i < s.Length; i++)
        {
            if (IsRemovedControl(s[i]))
            {
                first = i;
                break;
            }
        }

        if (first < 0)
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        sb.Append(s, 0, first);
        for (int i = first; i < s.Length; i++)
        {
            if (!IsRemovedControl(s[i]))
            {
                sb.Append(s[i]);
            }
        }

        return sb.ToString();
    }

    /// <summary>Python str.strip(): removes str.isspace code points at both ends.</summary>
    internal static string PythonStrip(string s)
    {
        int start = 0;
        while (start < s.Length && ClipUnicodeData.IsPythonSpace(s[start]))
        {
            start++;
        }

        int end = s.Length;
        while (end > start && ClipUnicodeData.IsPythonSpace(s[end - 1]))
        {
            end--;
        }

        return start == 0 && end == s.Length ? s : s[start..end];
    }

    /// <summary>regex.sub(r'\s+', ' ', s) then strip(); every \s is in the BMP.</summary>
    internal static string CollapseWhitespace(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool inRun = false;
        foreach (char c in s)
        {
            if (ClipUnicodeData.Classify(c) == ClipCharClass.Space)
            {
                if (!inRun)
                {
                    sb.Append(' ');
                    inRun = true;
                }
            }
            else
            {
                sb.Append(c);
                inRun = false;
            }
        }

        return PythonStrip(sb.ToString());
    }

    /// <summary>Python str.lower(): full mappings (İ -> i̇) and the final-sigma rule.</summary>
    internal static string PythonLower(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length;)
        {
            int cp = Utf16.CodePointAt(s, i, out int width);
            if (cp is >= 'A' and <= 'Z')
            {
                sb.Append((char)(cp | 0x20));
            }
            else if (cp == 0x3A3)
            {
                sb.Append(IsFinalSigma(s, i) ? '\u03C2' : '\u03C3');
            }
            else if (cp >= 0x80 && ClipUnicodeData.Lower.TryGetValue(cp, out var lower))
            {
                sb.Append(lower);
            }
            else
            {
                sb.Append(s, i, width);
            }

            i += width;
        }

        return sb.ToString();
    }

    // CPython: \p{Cased} \p{Case_Ignorable}* U+03A3 !( \p{Case_Ignorable}* \p{Cased} )
    private static bool IsFinalSigma(string s, int index)
    {
        int j = index;
        int before = -1;
        while (j > 0)
        {
            j -= j >= 2 && char.IsSurrogatePair(s[j - 2], s[j - 1]) ? 2 : 1;
            int cp = Utf16.CodePointAt(s, j, out _);
            if (!ClipUnicodeData.IsCaseIgnorable(cp))
            {
                before = cp;
                break;
            }
        }

        if (before < 0 || !ClipUnicodeData.IsCased(before))
        {
            return false;
        }

        for (int k = index + 1; k < s.Length;)
        {
            int cp = Utf16.CodePointAt(s, k, out int width);
            if (!ClipUnicodeData.IsCaseIgnorable(cp))
            {
                return !ClipUnicodeData.IsCased(cp);
            }

            k += width;
        }

        return true;
    }
}

internal static class Utf16
{
    /// <summary>The code point at s[i] (a lone surrogate stands for itself), and how many chars it takes.</summary>
    internal static int CodePointAt(string s, int i, out int width)
    {
        if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(s[i], s[i + 1]);
        }

        width = 1;
        return s[i];
    }
}
