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
}
