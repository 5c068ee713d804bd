using QRCoder;

namespace NitroLive.Web.Components.Services;

/// <summary>The kiosk's QR code: an SVG of the session's absolute join link, for phones to scan.</summary>
internal static class JoinQrCode
{
    /// <summary>Session ids are short URL-safe strings; anything else is refused so this is no open QR service.</summary>
    public static bool IsValidSessionId(string sessionId) =>
        sessionId.Length is > 0 and <= 64 && sessionId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>The absolute link a phone opens: the configured public base URL, else the address the kiosk used.</summary>
    public static string JoinUrl(HttpRequest request, string? publicBaseUrl, string sessionId)
    {
        ArgumentNullException.ThrowIfNull(request);
        var baseUrl = string.IsNullOrWhiteSpace(publicBaseUrl)
            ? $"{request.Scheme}://{request.Host}{request.PathBase}"
            : publicBaseUrl.TrimEnd('/');
        return $"{baseUrl}/s/{Uri.EscapeDataString(sessionId)}";
    }

    public static string Svg(string text)
    {
        using var data = QRCodeGenerator.GenerateQrCode(text, QRCodeGenerator.ECCLevel.M);
        return new SvgQRCode(data).GetGraphic(8, "#000000", "#ffffff", true, SvgQRCode.SizingMode.ViewBoxAttribute);
    }
}
