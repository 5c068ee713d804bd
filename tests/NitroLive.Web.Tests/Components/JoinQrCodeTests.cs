using System.Net;
using Microsoft.AspNetCore.Http;
using NitroLive.Web.Components.Services;
using NitroLive.Web.Tests.Hubs;
using NitroLive.Web.Tests.Live;

namespace NitroLive.Web.Tests.Components;

/// <summary>A phone that scans the kiosk's code must land on the session's join page, at the address people can reach.</summary>
public sealed class JoinQrCodeTests
{
    [Fact]
    public void TheJoinLinkIsTheSessionsSharePageAtTheAddressTheKioskUsed()
    {
        var request = new DefaultHttpContext().Request;
        request.Scheme = "https";
        request.Host = new HostString("kiosk.local", 8443);
        request.PathBase = "/nitro";

        Assert.Equal("https://kiosk.local:8443/nitro/s/AbC-123_xyz", JoinQrCode.JoinUrl(request, publicBaseUrl: null, "AbC-123_xyz"));
        Assert.Equal("https://kiosk.local:8443/nitro/s/AbC", JoinQrCode.JoinUrl(request, publicBaseUrl: " ", "AbC"));
    }

    [Fact]
    public void AConfiguredPublicBaseUrlReplacesTheAddressBehindTheProxy()
    {
        var request = new DefaultHttpContext().Request;
        request.Scheme = "http";
        request.Host = new HostString("10.0.0.7", 5062);

        Assert.Equal("https://nitro.example.org/s/AbC", JoinQrCode.JoinUrl(request, "https://nitro.example.org/", "AbC"));
        Assert.Equal("https://nitro.example.org/demo/s/AbC", JoinQrCode.JoinUrl(request, "https://nitro.example.org/demo", "AbC"));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("https://nitro.example.org/", "https://nitro.example.org")]
    public async Task TheQrEndpointEncodesTheJoinLinkOfThatSession(string? publicBaseUrl, string? expectedBase)
    {
        await using var app = await LiveAppFactory.StartAsync(
            settings: publicBaseUrl is null ? null : new() { ["NitroLive:Ui:PublicBaseUrl"] = publicBaseUrl });
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var cts = new CancellationTokenSource(LiveTestHost.Timeout);

        using var response = await http.GetAsync(new Uri("/qr/AbC-123_xyz.svg", UriKind.Relative), cts.Token);
        var svg = await response.Content.ReadAsStringAsync(cts.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
        var origin = expectedBase ?? app.BaseAddress.GetLeftPart(UriPartial.Authority);
        Assert.Equal(JoinQrCode.Svg($"{origin}/s/AbC-123_xyz"), svg);
    }

    [Theory]
    [InlineData("/qr/https%3A%2F%2Fevil.example%2F.svg")]
    [InlineData("/qr/a%20b.svg")]
    public async Task TheQrEndpointRefusesWhatIsNotASessionId(string path)
    {
        await using var app = await LiveAppFactory.StartAsync();
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var cts = new CancellationTokenSource(LiveTestHost.Timeout);

        using var response = await http.GetAsync(new Uri(path, UriKind.Relative), cts.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain("<svg", await response.Content.ReadAsStringAsync(cts.Token), StringComparison.Ordinal);
    }
}
