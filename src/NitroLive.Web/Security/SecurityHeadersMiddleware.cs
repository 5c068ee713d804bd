using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace NitroLive.Web.Security;

/// <summary>
/// Adds the Content-Security-Policy and the other browser hardening headers to every response. The policy fits
/// Blazor Server with MudBlazor: scripts from this origin plus inline scripts carrying this response's nonce (the
/// import map and the theme bootstrap), inline styles (MudBlazor sets style attributes), images from blob: and data:
/// (frames are shown as blob URLs), and WebSocket connections for the circuit and the hub.
/// </summary>
internal sealed class SecurityHeadersMiddleware
{
    /// <summary>The <see cref="HttpContext.Items"/> key of this response's CSP nonce.</summary>
    public static readonly object NonceKey = new();

    private readonly RequestDelegate _next;
    private readonly string _policyPrefix;
    private readonly string _policySuffix;
    private readonly string _referrerPolicy;
    private readonly bool _denyFraming;

    public SecurityHeadersMiddleware(RequestDelegate next, IOptions<SecurityOptions> options)
    {
        _next = next;
        var o = options.Value;
        _policyPrefix = "default-src 'self'; script-src 'self' 'nonce-";
        _policySuffix = "'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; font-src 'self' data:; " +
            "connect-src 'self' ws: wss:; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; " +
            $"frame-ancestors {o.FrameAncestors.Trim()}";
        _referrerPolicy = o.ReferrerPolicy;
        _denyFraming = o.FrameAncestors.Trim() == "'none'";
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Items.ContainsKey(NonceKey))
        {
            // The pipeline re-executed for the same response (the exception handler's error page): the page must use the
            // nonce the header will carry, and the callback registered the first time writes it.
            return _next(context);
        }

        var nonce = NewNonce();
        context.Items[NonceKey] = nonce;

        // Written when the headers go out, replacing what endpoints added: Blazor's interactive server render mode
        // adds its own "frame-ancestors 'self'" policy, which would override a kiosk's configured embedding.
        context.Response.OnStarting(static state =>
        {
            var (middleware, context, nonce) = ((SecurityHeadersMiddleware, HttpContext, string))state;
            middleware.Apply(context.Response.Headers, nonce);
            return Task.CompletedTask;
        }, (this, context, nonce));
        return _next(context);
    }

    private void Apply(IHeaderDictionary headers, string nonce)
    {
        headers.ContentSecurityPolicy = string.Concat(_policyPrefix, nonce, _policySuffix);
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = _referrerPolicy;
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";
        if (_denyFraming)
        {
            // For browsers that predate frame-ancestors.
            headers.XFrameOptions = "DENY";
        }
        else
        {
            // Antiforgery adds SAMEORIGIN; an embedding the configuration allows must not be contradicted.
            headers.Remove("X-Frame-Options");
        }
    }

    private static string NewNonce()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        // Hex: valid in a CSP nonce and never HTML-encoded in the page (base64's '+' becomes "&#x2B;").
        return Convert.ToHexString(bytes);
    }
}

/// <summary>The CSP nonce of the current response, for inline scripts the pages must keep.</summary>
public static class CspNonceExtensions
{
    /// <summary>
    /// This response's CSP nonce (put it on inline scripts: <c>&lt;script nonce="@nonce"&gt;</c>,
    /// <c>&lt;ImportMap nonce="@nonce" /&gt;</c>), or null when the security headers are not in use.
    /// </summary>
    /// <param name="context">The current request.</param>
    public static string? GetCspNonce(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(SecurityHeadersMiddleware.NonceKey, out var nonce) ? nonce as string : null;
    }
}
