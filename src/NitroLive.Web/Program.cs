using NitroLive.Web.Extensions;
using NitroLive.Web.Security;
using NitroLive.Web.Telemetry;

var builder = WebApplication.CreateBuilder(args);

// The generator (NitroPipeline on the configured model), the live service around it, and the Blazor UI.
builder.Services.AddNitroGenerator();
builder.Services.AddNitroLive();
builder.Services.AddNitroUi();
builder.Services.AddNitroTelemetry();
builder.Services.AddNitroSecurity();

var app = builder.Build();

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
    app.UseHsts();
}
app.UseNitroSecurity();
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);

app.MapNitroLive();
app.MapNitroTelemetry();
app.MapNitroUi();

app.Run();
