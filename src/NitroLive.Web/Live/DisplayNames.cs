using System.Buffers;
using System.Globalization;
using System.Text;
using NitroLive.Core.Text;

namespace NitroLive.Web.Live;

/// <summary>
/// The names members see of each other: cleaned so that what a name shows is all it holds. An invisible character could
/// otherwise make "Ho&#8205;st" pass for the host (whose name no guest may take) or slip a blocked word past a kiosk's
/// blocklist, and a bidi override could make a name read backwards.
/// </summary>
internal static class DisplayNames
{
    /// <summary>The longest name, in UTF-16 code units once cleaned.</summary>
    public const int MaxLength = 64;

    // Past this a name is not cleaned at all: nothing a person types is this long, and the hub takes strings of any length
    // its message size allows.
    private const int MaxRawLength = MaxLength * 64;

    private const int ZeroWidthJoiner = 0x200D;
    private const int BlackFlag = 0x1F3F4;

    // Letters of other scripts drawn like Latin ones, and Latin ones drawn like others ("I" and "l", "0" and "o"): the
    // usual ways to pass for somebody in a list of names. Not Unicode's whole confusables table, the common cases.
    private static readonly Dictionary<int, char> LookAlikes = BuildLookAlikes();

    /// <summary>The name of a guest who gave none.</summary>
    public static string Generated(string memberId) => "guest-" + memberId[..4];

    /// <summary>
    /// A name as others will see it: trimmed, each run of white space one space, without control characters, default
    /// ignorable code points (zero-width spaces and joiners, bidi controls, variation selectors, Hangul fillers, tags),
    /// halves of broken surrogate pairs, in composed form (NFC), and without a "(you)" at the end (the list's own mark).
    /// The joiner, variation selector and tag characters that emoji are made of are kept where they make one (between two
    /// emoji, after a symbol, after the black flag). Empty when nothing visible is left.
    /// </summary>
    /// <exception cref="LiveException"><see cref="LiveErrorCode.InvalidArgument"/> for a name over <see cref="MaxLength"/>.</exception>
    public static string Clean(string? displayName)
    {
        if (string.IsNullOrEmpty(displayName))
        {
            return string.Empty;
        }

        if (displayName.Length > MaxRawLength)
        {
            throw new LiveException(LiveErrorCode.InvalidArgument, $"The display name is far over the limit of {MaxLength} characters.");
        }

        var runes = new List<Rune>(displayName.Length);
        var rest = displayName.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var used) == OperationStatus.Done)
            {
                runes.Add(rune);
            }

            rest = rest[used..];
        }

        var text = new StringBuilder(displayName.Length);
        var space = false;
        var visible = false;
        Rune? last = null;
        for (var i = 0; i < runes.Count; i++)
        {
            var rune = runes[i];
            if (Rune.IsWhiteSpace(rune) || rune.Value == 0x2800)
            {
                // The braille blank shows as a space, and is one here.
                space = text.Length > 0;
                continue;
            }

            var category = Rune.GetUnicodeCategory(rune);
            if (category == UnicodeCategory.Control || (IsInvisible(rune, category) && !JoinsEmoji(rune, last, i + 1 < runes.Count ? runes[i + 1] : null)))
            {
                continue;
            }

            if (space)
            {
                text.Append(' ');
                space = false;
            }

            text.Append(rune.ToString());
            last = rune;
            visible |= category is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.SpacingCombiningMark)
                && !IsInvisible(rune, category);
        }

        if (!visible)
        {
            return string.Empty;
        }

        // Composed (the tokenizer's NFC: string.Normalize does nothing under InvariantGlobalization), so that one name
        // typed on two keyboards is one name (the owner's name is compared with it).
        var name = UnicodeNormalizer.Nfc(text.ToString());

        // The list marks each person's own row "(you)": a name that says so would read as the reader's own.
        while (name.EndsWith("(you)", StringComparison.OrdinalIgnoreCase))
        {
            name = name[..^5].TrimEnd();
        }

        if (name.Length == 0)
        {
            return string.Empty;
        }

        if (name.Length > MaxLength)
        {
            throw new LiveException(LiveErrorCode.InvalidArgument, $"The display name has {name.Length} characters; the limit is {MaxLength}.");
        }

        return name;
    }

    /// <summary>
    /// <paramref name="name"/> with a number after it ("Sam 2"), cut where it must be to stay within <see cref="MaxLength"/>
    /// (never inside a surrogate pair).
    /// </summary>
    public static string Numbered(string name, int number)
    {
        ArgumentNullException.ThrowIfNull(name);
        var suffix = string.Create(CultureInfo.InvariantCulture, $" {number}");
        var cut = Math.Min(name.Length, MaxLength - suffix.Length);
        if (cut < name.Length && char.IsLowSurrogate(name[cut]))
        {
            cut--;
        }

        return name[..cut].TrimEnd() + suffix;
    }

    /// <summary>
    /// What <paramref name="name"/> looks like, for telling whether two names would be taken for one another: accents
    /// dropped, case ignored, fullwidth forms and common look-alike letters of other scripts read as the Latin letters they
    /// look like, "rn" as "m", and the list's own "(you)" at the end dropped.
    /// </summary>
    public static string LookAlikeKey(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var points = new List<int>(name.Length);
        for (var i = 0; i < name.Length;)
        {
            var rune = Rune.GetRuneAt(name, i);
            UnicodeNormalizer.Decompose(rune.Value, points);
            i += rune.Utf16SequenceLength;
        }

        var key = new StringBuilder(points.Count);
        foreach (var point in points)
        {
            if (!Rune.IsValid(point))
            {
                continue;
            }

            var rune = new Rune(point);
            if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.SpacingCombiningMark)
            {
                continue;
            }

            if (point is >= 0xFF01 and <= 0xFF5E)
            {
                rune = new Rune(point - 0xFEE0); // fullwidth forms
            }

            if (LookAlikes.TryGetValue(rune.Value, out var latin))
            {
                key.Append(latin);
            }
            else
            {
                key.Append(Rune.ToLowerInvariant(rune).ToString());
            }
        }

        var text = key.Replace("rn", "m").ToString();
        text = string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return text.EndsWith("(you)", StringComparison.Ordinal) ? text[..^5].TrimEnd() : text;
    }

    private static Dictionary<int, char> BuildLookAlikes()
    {
        var map = new Dictionary<int, char>();
        void Add(string from, string to)
        {
            for (var i = 0; i < from.Length; i++)
            {
                map[from[i]] = to[i];
            }
        }

        Add("аАвВеЕкКмМнНоОрРсСтТуУхХіІјЈѕЅԁӏ", "aabbeekkmmhhooppccttyyxxiljjssdl");
        Add("αΑΒεΕΖΗιΙκΚΜνΝοΟρΡτΤυΥΧχ", "aabeezhilkkmvnooppttuyxx");
        Add("I10", "llo");
        return map;
    }

    // Format characters and Unicode's default ignorable code points (DerivedCoreProperties.txt): nothing to see.
    private static bool IsInvisible(Rune rune, UnicodeCategory category) => category == UnicodeCategory.Format || rune.Value is
        0x034F or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or (>= 0x180B and <= 0x180F) or (>= 0x2060 and <= 0x206F) or 0x3164
        or (>= 0xFE00 and <= 0xFE0F) or 0xFFA0 or (>= 0xFFF0 and <= 0xFFF8) or (>= 0x1BCA0 and <= 0x1BCA3)
        or (>= 0x1D173 and <= 0x1D17A) or (>= 0xE0000 and <= 0xE0FFF);

    // The invisible parts of an emoji, where they make one: the joiner between two pictographs (a family, a technologist),
    // the emoji presentation selector after a symbol or a keycap's digit, the tags of a subdivision flag.
    private static bool JoinsEmoji(Rune rune, Rune? last, Rune? next) => rune.Value switch
    {
        ZeroWidthJoiner => last is { } before && (IsPictograph(before) || before.Value == 0xFE0F) && next is { } after && IsPictograph(after),
        0xFE0E or 0xFE0F => last is { } before && (IsPictograph(before) || Rune.IsDigit(before) || before.Value is '#' or '*'),
        >= 0xE0020 and <= 0xE007F => last is { } before && (before.Value == BlackFlag || before.Value is >= 0xE0020 and <= 0xE007E),
        _ => false,
    };

    // Emoji are symbols ("other symbol"), and their skin tones modifier symbols.
    private static bool IsPictograph(Rune rune) =>
        Rune.GetUnicodeCategory(rune) == UnicodeCategory.OtherSymbol || rune.Value is >= 0x1F3FB and <= 0x1F3FF;
}
