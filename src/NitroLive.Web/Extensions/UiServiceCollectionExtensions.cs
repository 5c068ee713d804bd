using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MudBlazor;
using MudBlazor.Services;
using NitroLive.Web.Components;
using NitroLive.Web.Components.Layout;
using NitroLive.Web.Components.Services;
using NitroLive.Web.Live;

namespace NitroLive.Web.Extensions;

/// <summary>Registration of the web UI: Blazor components, MudBlazor, UI options, kiosk QR codes and the README page.</summary>
public static class UiServiceCollectionExtensions
{
    /// <summary>How often the server pings each browser's circuit (SignalR's default is 15 s).</summary>
    internal static readonly TimeSpan CircuitKeepAlive = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Adds the Blazor UI (interactive server components, MudBlazor) and its options (<c>NitroLive:Ui</c>,
    /// <c>NitroLive:Kiosk</c>), validated at startup. The pages use <c>ILiveService</c>, which <c>AddNitroLive()</c> adds.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The same collection.</returns>
    public static IServiceCollection AddNitroUi(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddRazorComponents()
            .AddInteractiveServerComponents(options =>
            {
                // Long enough for a phone that locks its screen, or a kiosk whose network blinks, to come back to
                // its own circuit (and session) instead of starting over.
                options.DisconnectedCircuitRetentionPeriod = TimeSpan.FromMinutes(5);
            })
            .AddHubOptions(options =>
            {
                // The browser gives up on a silent server after 12 s (wwwroot/js/boot.js) instead of 30: a ping every 5 s
                // keeps an idle page (nothing typed, no frames) well inside that.
                options.KeepAliveInterval = CircuitKeepAlive;
            });
        services.AddMudServices(config =>
        {
            // Bottom right: at the top right (MudBlazor's default) "Share link copied." covered the demo banner's
            // "How to run a real model" link, and at the bottom centre the frame's buttons; the bottom of the settings
            // column is empty. Repeated clicks show one toast, not a stack.
            config.SnackbarConfiguration.PositionClass = Defaults.Classes.Position.BottomRight;
            config.SnackbarConfiguration.PreventDuplicates = true;
            config.SnackbarConfiguration.VisibleStateDuration = 3000;
        });

        services.AddOptions<UiOptions>()
            .BindConfiguration(UiOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<KioskOptions>()
            .BindConfiguration(KioskOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.Playlist.All(p => !string.IsNullOrWhiteSpace(p)), "NitroLive:Kiosk:Playlist has an empty prompt.")
            .Validate<IOptions<PromptBlocklistOptions>>(
                (o, blocklist) => !o.Playlist.Any(new PromptBlocklist(blocklist.Value.Blocklist).IsBlocked),
                "NitroLive:Kiosk:Playlist has a prompt that NitroLive:Kiosk:Blocklist blocks: the kiosk could not show it.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<KioskRegistry>();
        services.TryAddSingleton<PromptSuggestions>();
        services.TryAddSingleton<ThemeStyles>();

        // Pages end browser calls that a dropped connection will never answer, and redo them once it is back.
        services.TryAddScoped<CircuitConnection>();
        services.AddScoped<CircuitHandler>(provider => provider.GetRequiredService<CircuitConnection>());
        return services;
    }

    /// <summary>
    /// Maps the UI: antiforgery, static assets (the repository's wwwroot/ and MudBlazor's), the Razor components,
    /// and <c>GET /qr/{sessionId}.svg</c> (the kiosk's join QR code).
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The same application.</returns>
    public static WebApplication MapNitroUi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapGet("/qr/{sessionId}.svg", (string sessionId, HttpRequest request, IOptions<UiOptions> options) =>
        {
            if (!JoinQrCode.IsValidSessionId(sessionId))
            {
                return Results.BadRequest("Not a session id.");
            }

            var svg = JoinQrCode.Svg(JoinQrCode.JoinUrl(request, options.Value.PublicBaseUrl, sessionId));
            return Results.Text(svg, "image/svg+xml");
        }).ExcludeFromDescription();
        app.MapRazorComponents<App>()
            .AddInteractiveServerRenderMode();
        return app;
    }
}
