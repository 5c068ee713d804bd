using System.Buffers.Text;
using System.Security.Cryptography;

namespace NitroLive.Web.Live;

/// <summary>Unguessable, URL-safe identifiers: 128 bits from the OS CSPRNG, base64url without padding (22 characters).</summary>
internal static class LiveIds
{
    public const int Length = 22;

    public static string NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool IsWellFormed(string? id) => id is { Length: Length } && Base64Url.IsValid(id);

    /// <summary>Compares secrets in constant time, so a token cannot be guessed byte by byte from timings.</summary>
    public static bool SecretEquals(string expected, string? candidate)
    {
        if (candidate is null || candidate.Length != expected.Length)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(expected.AsSpan()),
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(candidate.AsSpan()));
    }

    /// <summary>A short, non-secret prefix for logs: full ids are capabilities and stay out of logs.</summary>
    public static string ForLog(string id) => id.Length > 6 ? id[..6] : id;

    /// <summary>
    /// Text from outside (a browser's error message) made safe for one log line: control and format characters and line
    /// or paragraph separators (line breaks that could forge log lines, terminal escapes, bidi overrides that reorder
    /// what a reader sees) become spaces, and it is cut at <paramref name="maxLength"/>, never inside a surrogate pair.
    /// </summary>
    public static string TextForLog(string text, int maxLength = 200)
    {
        var length = text.Length <= maxLength ? text.Length : char.IsHighSurrogate(text[maxLength - 1]) ? maxLength - 1 : maxLength;
        var cut = length < text.Length ? text[..length] + "..." : text;
        return string.Create(cut.Length, cut, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.GetUnicodeCategory(source[i]) is System.Globalization.UnicodeCategory.Control
                    or System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator
                    or System.Globalization.UnicodeCategory.ParagraphSeparator
                    ? ' '
                    : source[i];
            }
        });
    }
}
