using System.ComponentModel.DataAnnotations;

namespace NitroLive.Web.Security;

/// <summary>Security headers and hub limits, bound from <c>NitroLive:Security</c> and validated at startup.</summary>
public sealed class SecurityOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "NitroLive:Security";

    /// <summary>
    /// The CSP <c>frame-ancestors</c> sources: who may embed the pages in a frame. <c>'none'</c> by default; a kiosk
    /// embedded in another site sets e.g. <c>'self' https://kiosk.example</c>.
    /// </summary>
    [Required]
    [RegularExpression(@"^[\x20-\x2B\x2D-\x3A\x3C-\x7E]+$",
        ErrorMessage = "NitroLive:Security:FrameAncestors must be CSP sources separated by spaces, in printable ASCII (punycode for an international host name; no ';', ',' or line breaks).")]
    public string FrameAncestors { get; set; } = "'none'";

    /// <summary>
    /// Referrer-Policy. <c>no-referrer</c> by default: session and kiosk URLs carry the session id, which is the
    /// capability to watch, so it must not leak to other sites through the Referer header.
    /// </summary>
    [Required]
    [RegularExpression("^(no-referrer|same-origin|strict-origin|strict-origin-when-cross-origin|origin|origin-when-cross-origin|no-referrer-when-downgrade)$",
        ErrorMessage = "NitroLive:Security:ReferrerPolicy must be a Referrer-Policy token such as no-referrer or same-origin.")]
    public string ReferrerPolicy { get; set; } = "no-referrer";

    /// <summary>Hub invocations each connection may make per second, sustained (the token bucket's refill rate).</summary>
    [Range(1, 10_000)]
    public int HubCallsPerSecond { get; set; } = 40;

    /// <summary>Hub invocations a connection may make at once after a quiet spell (the token bucket's size).</summary>
    [Range(1, 100_000)]
    public int HubCallBurst { get; set; } = 80;

    /// <summary>
    /// Full-quality PNG downloads over HTTP (<c>/live/sessions/{id}/frame.png</c>) each client address may make per
    /// second, sustained; more are answered 429. Kiosk session ids are public (the QR code), and a PNG costs far more
    /// than a frame.
    /// </summary>
    [Range(1, 1_000)]
    public int DownloadsPerSecond { get; set; } = 2;

    /// <summary>Downloads an address may make at once after a quiet spell (the token bucket's size).</summary>
    [Range(1, 10_000)]
    public int DownloadBurst { get; set; } = 10;
}
