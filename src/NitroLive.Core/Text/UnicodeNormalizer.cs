using System.Text;

namespace NitroLive.Core.Text;

/// <summary>
/// Unicode NFC from the embedded tables (UAX #15: canonical decomposition, canonical ordering, canonical
/// composition). string.Normalize cannot be used: under InvariantGlobalization it returns the input unchanged.
/// </summary>
internal static class UnicodeNormalizer
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    internal static string Nfc(string s)
    {
        // Below U+0300 there are no combining marks and every precomposed letter is already NFC.
        if (!s.AsSpan().ContainsAnyExceptInRange('\0', '\u02FF'))
        {
            return s;
        }

        if (IsNfcQuick(s))
        {
            return s;
        }

        var cps = new List<int>(s.Length + 8);
        for (int i = 0; i < s.Length;)
        {
            int cp = Utf16.CodePointAt(s, i, out int width);
            Decompose(cp, cps);
            i += width;
        }

        CanonicalOrder(cps);
        Compose(cps);

        var sb = new StringBuilder(s.Length);
        foreach (int cp in cps)
        {
            if (cp is >= 0xD800 and <= 0xDFFF)
            {
                sb.Append((char)cp);
            }
            else
            {
                sb.Append(char.ConvertFromUtf32(cp));
            }
        }

        string result = sb.ToString();
        return string.Equals(result, s, StringComparison.Ordinal) ? s : result;
    }

    // UAX #15 quick check: every code point NFC_QC=Yes and the combining classes in canonical order.
    private static bool IsNfcQuick(string s)
    {
        int lastCcc = 0;
        for (int i = 0; i < s.Length;)
        {
            int cp = Utf16.CodePointAt(s, i, out int width);
            i += width;
            if (cp < 0x300)
            {
                lastCcc = 0;
                continue;
            }

            if (ClipUnicodeData.NfcQuickCheckNotYes.Contains(cp))
            {
                return false;
            }

            int ccc = ClipUnicodeData.CombiningClass(cp);
            if (ccc != 0 && ccc < lastCcc)
            {
                return false;
            }

            lastCcc = ccc;
        }

        return true;
    }

    internal static void Decompose(int cp, List<int> output)
    {
        int sIndex = cp - SBase;
        if (sIndex is >= 0 and < SCount)
        {
            output.Add(LBase + (sIndex / NCount));
            output.Add(VBase + (sIndex % NCount / TCount));
            int t = sIndex % TCount;
            if (t != 0)
            {
                output.Add(TBase + t);
            }

            return;
        }

        if (cp >= 0xC0 && ClipUnicodeData.Decomposition.TryGetValue(cp, out var decomposition))
        {
            output.AddRange(decomposition);
        }
        else
        {
            output.Add(cp);
        }
    }

    // Stable sort of each run of non-starters by combining class.
    private static void CanonicalOrder(List<int> cps)
    {
        for (int i = 1; i < cps.Count; i++)
        {
            int ccc = ClipUnicodeData.CombiningClass(cps[i]);
            if (ccc == 0)
            {
                continue;
            }

            int j = i;
            while (j > 0)
            {
                int prev = ClipUnicodeData.CombiningClass(cps[j - 1]);
                if (prev <= ccc)
                {
                    break;
                }

                (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
                j--;
            }
        }
    }

    private static void Compose(List<int> cps)
    {
        int write = 0;
        int starter = -1;
        for (int read = 0; read < cps.Count; read++)
        {
            int cp = cps[read];
            int ccc = ClipUnicodeData.CombiningClass(cp);
            if (starter >= 0)
            {
                int lastCcc = ClipUnicodeData.CombiningClass(cps[write - 1]);
                bool blocked = write - 1 != starter && (lastCcc == 0 || lastCcc >= ccc);
                if (!blocked && TryCompose(cps[starter], cp, out int composed))
                {
                    cps[starter] = composed;
                    continue;
                }
            }

            if (ccc == 0)
            {
                starter = write;
            }

            cps[write++] = cp;
        }

        cps.RemoveRange(write, cps.Count - write);
    }

    private static bool TryCompose(int first, int second, out int composed)
    {
        int lIndex = first - LBase;
        if (lIndex is >= 0 and < LCount)
        {
            int vIndex = second - VBase;
            if (vIndex is >= 0 and < VCount)
            {
                composed = SBase + (((lIndex * VCount) + vIndex) * TCount);
                return true;
            }
        }

        int sIndex = first - SBase;
        if (sIndex is >= 0 and < SCount && sIndex % TCount == 0)
        {
            int tIndex = second - TBase;
            if (tIndex is > 0 and < TCount)
            {
                composed = first + tIndex;
                return true;
            }
        }

        return ClipUnicodeData.Composition.TryGetValue(((long)first << 21) | (uint)second, out composed);
    }
}
