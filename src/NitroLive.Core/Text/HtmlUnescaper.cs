using System.Text;

namespace NitroLive.Core.Text;

/// <summary>
/// The two HTML decoders the reference runs: Python's html.unescape (full HTML5 table, legacy names without ';',
/// longest-prefix matching, the numeric-reference fix-ups) and ftfy's stricter unescape_html (only "&amp;...;"
/// forms, plus all-caps aliases). WebUtility.HtmlDecode knows only the HTML4 names and needs the ';', so it would
/// differ on inputs such as "&amp;amp" or "&amp;hellip;".
/// </summary>
internal static class HtmlUnescaper
{
    private const int MaxNameLength = 32;

    // Windows-1252 meanings of 0x80..0x9F; holes keep the C1 code point (Python's table and ftfy's sloppy codec agree).
    internal static readonly char[] Windows1252C1 =
    [
        '\u20AC', '\u0081', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021',
        '\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008D', '\u017D', '\u008F',
        '\u0090', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014',
        '\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '\u009D', '\u017E', '\u0178',
    ];

    /// <summary>Python html.unescape.</summary>
    internal static string PythonUnescape(string s) => Unescape(s, TryPythonReference);

    /// <summary>ftfy.fixes.unescape_html: only "&amp;#?[0-9A-Za-z]{1,24};" forms are touched.</summary>
    internal static string FtfyUnescape(string s) => Unescape(s, TryFtfyReference);

    /// <summary>
    /// Copies <paramref name="s"/>, letting <paramref name="tryReference"/> decode at each '&amp;'; where it matches
    /// nothing (returns 0) the '&amp;' stays and the scan goes on after it.
    /// </summary>
    private static string Unescape(string s, Func<string, int, StringBuilder, int> tryReference)
    {
        int amp = s.IndexOf('&', StringComparison.Ordinal);
        if (amp < 0)
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        sb.Append(s, 0, amp);
        int i = amp;
        while (i < s.Length)
        {
            if (s[i] != '&')
            {
                sb.Append(s[i]);
                i++;
                continue;
            }

            int consumed = tryReference(s, i, sb);
            if (consumed == 0)
            {
                sb.Append('&');
                i++;
            }
            else
            {
                i += consumed;
            }
        }

        return sb.ToString();
    }

    /// <summary>Decodes the reference at s[start] == '&amp;' into sb; returns the chars consumed, 0 when none matched.</summary>
    private static int TryPythonReference(string s, int start, StringBuilder sb)
    {
        int p = start + 1;
        if (p < s.Length && s[p] == '#')
        {
            bool hex = p + 1 < s.Length && (s[p + 1] == 'x' || s[p + 1] == 'X');
            int digitsStart = hex ? p + 2 : p + 1;
            int q = digitsStart;
            while (q < s.Length && (hex ? char.IsAsciiHexDigit(s[q]) : char.IsAsciiDigit(s[q])))
            {
                q++;
            }

            if (q == digitsStart)
            {
                // "&#" or "&#x" without digits matches no alternative (a name cannot start with '#').
                return 0;
            }

            long value = ParseNumber(s.AsSpan(digitsStart, q - digitsStart), hex ? 16 : 10);
            if (q < s.Length && s[q] == ';')
            {
                q++;
            }

            AppendNumeric(value, sb);
            return q - start;
        }

        // Named: up to 32 code points that are not \t \n \f space < & # ; then an optional ';'.
        int end = p;
        int count = 0;
        while (end < s.Length && count < MaxNameLength)
        {
            char c = s[end];
            if (c is '\t' or '\n' or '\f' or ' ' or '<' or '&' or '#' or ';')
            {
                break;
            }

            end += char.IsHighSurrogate(c) && end + 1 < s.Length && char.IsLowSurrogate(s[end + 1]) ? 2 : 1;
            count++;
        }

        if (count == 0)
        {
            return 0;
        }

        if (end < s.Length && s[end] == ';')
        {
            end++;
        }

        string name = s.Substring(p, end - p);
        if (ClipUnicodeData.Html5Entities.TryGetValue(name, out var text))
        {
            sb.Append(text);
            return end - start;
        }

        // The longest prefix that is a name (only the legacy names without ';' can match here).
        var lookup = ClipUnicodeData.Html5Entities.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int x = name.Length - 1; x > 1; x--)
        {
            if (lookup.TryGetValue(name.AsSpan(0, x), out var prefixText))
            {
                sb.Append(prefixText).Append(name, x, name.Length - x);
                return end - start;
            }
        }

        sb.Append('&').Append(name);
        return end - start;
    }

    private static long ParseNumber(ReadOnlySpan<char> digits, int radix)
    {
        // Python ints never overflow; anything past 0x10FFFF decodes to U+FFFD, so saturate there.
        long value = 0;
        foreach (char c in digits)
        {
            int d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
            value = (value * radix) + d;
            if (value > 0x10FFFF)
            {
                return 0x110000;
            }
        }

        return value;
    }

    private static void AppendNumeric(long num, StringBuilder sb)
    {
        if (num == 0x00)
        {
            sb.Append('\uFFFD');
        }
        else if (num == 0x0D)
        {
            sb.Append('\r');
        }
        else if (num is >= 0x80 and <= 0x9F)
        {
            sb.Append(Windows1252C1[num - 0x80]);
        }
        else if (num is >= 0xD800 and <= 0xDFFF || num > 0x10FFFF)
        {
            sb.Append('\uFFFD');
        }
        else if (IsInvalidCodePoint((int)num))
        {
            // Python drops these.
        }
        else
        {
            sb.Append(char.ConvertFromUtf32((int)num));
        }
    }

    private static bool IsInvalidCodePoint(int cp) =>
        cp is >= 0x01 and <= 0x08 or 0x0B or >= 0x0E and <= 0x1F or >= 0x7F and <= 0x9F or >= 0xFDD0 and <= 0xFDEF
        || (cp & 0xFFFE) == 0xFFFE;

    /// <summary>An ftfy reference at s[start] == '&amp;' into sb; returns the chars consumed, 0 when it is not one.</summary>
    private static int TryFtfyReference(string s, int start, StringBuilder sb)
    {
        int runStart = start + 1 < s.Length && s[start + 1] == '#' ? start + 2 : start + 1;
        int q = runStart;
        while (q < s.Length && q - runStart < 25 && char.IsAsciiLetterOrDigit(s[q]))
        {
            q++;
        }

        int run = q - runStart;
        if (run is < 1 or > 24 || q >= s.Length || s[q] != ';')
        {
            return 0;
        }

        string match = s.Substring(start, q + 1 - start);
        if (ClipUnicodeData.FtfyEntities.TryGetValue(match, out var text))
        {
            sb.Append(text);
        }
        else if (match.StartsWith("&#", StringComparison.Ordinal))
        {
            // Numeric: html.unescape, unless it left part of the reference undecoded.
            string decoded = PythonUnescape(match);
            sb.Append(decoded.Contains(';', StringComparison.Ordinal) ? match : decoded);
        }
        else
        {
            sb.Append(match);
        }

        return q + 1 - start;
    }
}
