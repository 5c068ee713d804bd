using System.Globalization;
using System.Reflection;

namespace NitroLive.Core.Text;

/// <summary>What the CLIP pattern's alternatives make of one code point.</summary>
internal enum ClipCharClass : byte
{
    /// <summary>Matched by no alternative (regex skips it), e.g. U+0345 under IGNORECASE.</summary>
    Skip = 0,
    Letter = 1,
    Number = 2,
    Other = 3,
    Space = 4,
}

/// <summary>
/// Unicode tables the reference tokenizer gets from Python (str.lower, unicodedata NFC, the regex module's classes,
/// html.entities.html5). The app runs invariant-globalized, where string.Normalize does nothing and casing differs,
/// so the tables are generated once by tools/clip/gen_unicode_data.py and embedded.
/// </summary>
internal static class ClipUnicodeData
{
    private const string ResourceName = "NitroLive.Core.Text.ClipUnicodeData.txt";

    private static readonly ClipCharClass[] BmpClass = new ClipCharClass[0x10000];
    private static readonly CodePointRanges<ClipCharClass> AstralClassRanges = new();
    private static readonly CodePointRanges<bool> PythonSpaceRanges = new();
    private static readonly CodePointRanges<bool> CasedRanges = new();
    private static readonly CodePointRanges<bool> CaseIgnorableRanges = new();
    private static readonly CodePointRanges<byte> CombiningClassRanges = new();

    /// <summary>Python str.lower() of each code point it changes (capital sigma excluded: it is contextual).</summary>
    internal static readonly Dictionary<int, string> Lower = [];

    /// <summary>Full canonical decomposition (NFD) of each code point that has one, Hangul excluded.</summary>
    internal static readonly Dictionary<int, int[]> Decomposition = [];

    /// <summary>Primary composites: (first &lt;&lt; 21 | second) -> composed code point.</summary>
    internal static readonly Dictionary<long, int> Composition = [];

    /// <summary>Code points whose NFC quick-check value is No or Maybe (they may change or combine under NFC).</summary>
    internal static readonly HashSet<int> NfcQuickCheckNotYes = [];

    /// <summary>fix_character_width: halfwidth/fullwidth forms to their standard width.</summary>
    internal static readonly Dictionary<char, string> Width = [];

    /// <summary>HTML5 named references as html.unescape knows them: name (with or without ';') -> text.</summary>
    internal static readonly Dictionary<string, string> Html5Entities = new(StringComparer.Ordinal);

    /// <summary>ftfy's entity table: "&amp;name;" for names ending in ';', plus all-caps aliases.</summary>
    internal static readonly Dictionary<string, string> FtfyEntities = new(StringComparer.Ordinal);

    static ClipUnicodeData()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource '{ResourceName}' is missing from NitroLive.Core.");
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length < 3 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split(' ');
            switch (line[0])
            {
                case 'L': AddClass(Hex(parts[1]), Hex(parts[2]), ClipCharClass.Letter); break;
                case 'N': AddClass(Hex(parts[1]), Hex(parts[2]), ClipCharClass.Number); break;
                case 'O': AddClass(Hex(parts[1]), Hex(parts[2]), ClipCharClass.Other); break;
                case 'S': AddClass(Hex(parts[1]), Hex(parts[2]), ClipCharClass.Space); break;
                case 'W': PythonSpaceRanges.Add(Hex(parts[1]), Hex(parts[2]), true); break;
                case 'C': CasedRanges.Add(Hex(parts[1]), Hex(parts[2]), true); break;
                case 'I': CaseIgnorableRanges.Add(Hex(parts[1]), Hex(parts[2]), true); break;
                case 'l': Lower[Hex(parts[1])] = CodePoints(parts, 2); break;
                case 'd': Decomposition[Hex(parts[1])] = parts[2..].Select(Hex).ToArray(); break;
                case 'k': CombiningClassRanges.Add(Hex(parts[1]), Hex(parts[2]), byte.Parse(parts[3], CultureInfo.InvariantCulture)); break;
                case 'p': Composition[((long)Hex(parts[1]) << 21) | (uint)Hex(parts[2])] = Hex(parts[3]); break;
                case 'w': Width[(char)Hex(parts[1])] = CodePoints(parts, 2); break;
                case 'e': Html5Entities[parts[1]] = CodePoints(parts, 2); break;
                case 'u': FtfyEntities["&" + parts[1]] = CodePoints(parts, 2); break;
                default: break;
            }
        }

        foreach (var (name, value) in Html5Entities)
        {
            if (name.EndsWith(';'))
            {
                FtfyEntities["&" + name] = value;
            }
        }

        AstralClassRanges.Seal();
        PythonSpaceRanges.Seal();
        CasedRanges.Seal();
        CaseIgnorableRanges.Seal();
        CombiningClassRanges.Seal();

        // No: decomposable but not a primary composite (singletons, exclusions). Maybe: can be a composition's second
        // half (Hangul vowels and trailing consonants compose algorithmically).
        var primaryComposites = Composition.Values.ToHashSet();
        foreach (int cp in Decomposition.Keys)
        {
            if (!primaryComposites.Contains(cp))
            {
                NfcQuickCheckNotYes.Add(cp);
            }
        }

        foreach (long pair in Composition.Keys)
        {
            NfcQuickCheckNotYes.Add((int)(pair & 0x1FFFFF));
        }

        for (int cp = 0x1161; cp <= 0x11C2; cp++)
        {
            NfcQuickCheckNotYes.Add(cp);
        }

        // ftfy treats the ideographic space like the fullwidth forms.
        Width['\u3000'] = " ";
    }

    internal static ClipCharClass Classify(int codePoint)
    {
        if (codePoint < 0x10000)
        {
            return BmpClass[codePoint];
        }

        return AstralClassRanges.TryFind(codePoint, out var charClass) ? charClass : ClipCharClass.Skip;
    }

    /// <summary>Python str.isspace (what str.strip removes).</summary>
    internal static bool IsPythonSpace(int codePoint) => PythonSpaceRanges.Contains(codePoint);

    internal static bool IsCased(int codePoint) => CasedRanges.Contains(codePoint);

    internal static bool IsCaseIgnorable(int codePoint) => CaseIgnorableRanges.Contains(codePoint);

    internal static int CombiningClass(int codePoint)
    {
        if (codePoint < 0x300)
        {
            return 0;
        }

        return CombiningClassRanges.TryFind(codePoint, out var combiningClass) ? combiningClass : 0;
    }

    private static void AddClass(int start, int end, ClipCharClass charClass)
    {
        for (int cp = start; cp <= Math.Min(end, 0xFFFF); cp++)
        {
            BmpClass[cp] = charClass;
        }

        if (end >= 0x10000)
        {
            AstralClassRanges.Add(Math.Max(start, 0x10000), end, charClass);
        }
    }

    private static int Hex(string s) => int.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static string CodePoints(string[] parts, int from)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = from; i < parts.Length; i++)
        {
            sb.Append(char.ConvertFromUtf32(Hex(parts[i])));
        }

        return sb.ToString();
    }
}
