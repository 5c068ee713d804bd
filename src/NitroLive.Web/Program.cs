using NitroLive.Web.Components;
using NitroLive.Web.Extensions;
using NitroLive.Web.Security;
using NitroLive.Web.Telemetry;

var builder = WebApplication.CreateBuilder(args);

// Blazor UI (owned by the UI area).
builder.Services.AddRazorComponents()
    .AddInteractiveServerComponents();

// Live service, generation loop, /hubs/live, health.
builder.Services.AddNitroLive();
builder.Services.AddNitroTelemetry();
builder.Services.AddNitroSecurity();

var app = builder.Build();

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
    // The default HSTS value is 30 days. You may want to change this for production scenarios, see https://aka.ms/aspnetcore-hsts.
    app.UseHsts();
}
app.UseNitroSecurityHeaders();
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseHttpsRedirection();

app.UseAntiforgery();

app.MapStaticAssets();
app.MapRazorComponents<App>()
    .AddInteractiveServerRenderMode();

app.MapNitroLive();
app.MapNitroTelemetry();

app.Run();
