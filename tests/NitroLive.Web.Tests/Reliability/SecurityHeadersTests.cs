using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NitroLive.Web.Security;

namespace NitroLive.Web.Tests.Reliability;

public sealed class SecurityHeadersTests
{
    [Fact]
    public async Task PagesCarryAContentSecurityPolicyThatFitsBlazorServerAndMudBlazor()
    {
        await using var host = ReliabilityHost.Start();
        using var http = host.NewHttpClient();
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);

        using var response = await http.GetAsync(new Uri("/", UriKind.Relative), cts.Token);

        AssertTheHardeningHeaders(response, frameAncestors: "'none'");
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
    }

    // The not-found page is rendered by re-executing the pipeline for the same response: it must keep the nonce the
    // response's header carries, or the browser blocks its scripts.
    [Theory]
    [InlineData("/")]
    [InlineData("/no-such-page")]
    public async Task EveryInlineScriptOfThePageCarriesTheResponsesNonce(string path)
    {
        await using var host = ReliabilityHost.Start();
        using var http = host.NewHttpClient();
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);

        using var response = await http.GetAsync(new Uri(path, UriKind.Relative), cts.Token);
        var html = await response.Content.ReadAsStringAsync(cts.Token);

        var nonce = Regex.Match(Directives(Header(response, "Content-Security-Policy"))["script-src"], "'nonce-([^']+)'").Groups[1].Value;
        var inline = Regex.Matches(html, "<script(?![^>]*\\bsrc=)([^>]*)>", RegexOptions.IgnoreCase).Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();
        Assert.NotEmpty(inline);
        Assert.All(inline, attributes => Assert.Contains($"nonce=\"{nonce}\"", attributes, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EveryResponseGetsItsOwnScriptNonce()
    {
        await using var host = ReliabilityHost.Start();
        using var http = host.NewHttpClient();
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);

        var nonces = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 5; i++)
        {
            using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative), cts.Token);
            nonces.Add(Directives(Header(response, "Content-Security-Policy"))["script-src"]);
        }

        Assert.Equal(5, nonces.Count);
    }

    [Fact]
    public async Task AKioskEmbeddingPolicyReplacesFrameAncestorsAndDropsXFrameOptions()
    {
        await using var host = ReliabilityHost.Start(settings: new() { ["NitroLive:Security:FrameAncestors"] = "'self' https://kiosk.example" });
        using var http = host.NewHttpClient();
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);

        using var response = await http.GetAsync(new Uri("/", UriKind.Relative), cts.Token);

        AssertTheHardeningHeaders(response, frameAncestors: "'self' https://kiosk.example");
        Assert.False(response.Headers.Contains("X-Frame-Options"));
    }

    [Fact]
    public async Task HubAndHealthResponsesAreCoveredToo()
    {
        await using var host = ReliabilityHost.Start();
        using var http = host.NewHttpClient();
        using var cts = new CancellationTokenSource(ReliabilityHost.Timeout);

        using var negotiate = await http.PostAsync(new Uri("/hubs/live/negotiate?negotiateVersion=1", UriKind.Relative), null, cts.Token);
        using var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative), cts.Token);

        Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode);
        AssertTheHardeningHeaders(negotiate, frameAncestors: "'none'");
        AssertTheHardeningHeaders(health, frameAncestors: "'none'");
    }

    [Theory]
    [InlineData("NitroLive:Security:FrameAncestors", "'none'; script-src *", "FrameAncestors")]
    [InlineData("NitroLive:Security:FrameAncestors", "https://kiosk.bücher.example", "punycode")] // a header value is ASCII
    [InlineData("NitroLive:Security:DownloadsPerSecond", "0", "DownloadsPerSecond")]
    [InlineData("NitroLive:Security:ReferrerPolicy", "unsafe-url", "ReferrerPolicy")]
    [InlineData("NitroLive:Security:HubCallsPerSecond", "0", "HubCallsPerSecond")]
    public void InvalidSecurityOptionsStopTheServerAtStartupNamingTheKey(string key, string value, string named)
    {
        var error = Assert.ThrowsAny<Exception>(() =>
        {
            using var host = ReliabilityHost.Start(settings: new() { [key] = value });
            _ = host.Services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        });

        var message = error is OptionsValidationException ? error.Message : error.ToString();
        Assert.Contains(named, message, StringComparison.Ordinal);
    }

    // Every directive is compared, so a dropped or loosened one (base-uri, form-action, worker-src, ...) fails as well as
    // a changed one; only the nonce differs per response, and its shape is checked instead.
    private static void AssertTheHardeningHeaders(HttpResponseMessage response, string frameAncestors)
    {
        var csp = Directives(Header(response, "Content-Security-Policy"));
        Assert.Matches("^'self' 'nonce-[0-9A-F]{32}'$", csp["script-src"]);
        csp["script-src"] = "'self' 'nonce-<this response>'";
        var expected = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["default-src"] = "'self'",
            ["script-src"] = "'self' 'nonce-<this response>'",
            ["style-src"] = "'self' 'unsafe-inline'",
            ["img-src"] = "'self' blob: data:",
            ["font-src"] = "'self' data:",
            ["connect-src"] = "'self' ws: wss:",
            ["worker-src"] = "'self' blob:",
            ["object-src"] = "'none'",
            ["base-uri"] = "'self'",
            ["form-action"] = "'self'",
            ["frame-ancestors"] = frameAncestors,
        };
        Assert.Equal(expected.OrderBy(d => d.Key, StringComparer.Ordinal), csp.OrderBy(d => d.Key, StringComparer.Ordinal));
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Equal("same-origin", Header(response, "Cross-Origin-Opener-Policy"));
        Assert.Equal("camera=(), microphone=(), geolocation=(), payment=(), usb=()", Header(response, "Permissions-Policy"));
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : throw new Xunit.Sdk.XunitException($"The response has no {name} header.");

    private static Dictionary<string, string> Directives(string policy) =>
        policy.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Split(' ', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1].Trim() : string.Empty, StringComparer.Ordinal);
}
