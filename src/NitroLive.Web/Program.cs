using NitroLive.Web.Extensions;

var builder = WebApplication.CreateBuilder(args);

// The generator (NitroPipeline on the configured model), the live service around it, and the Blazor UI.
builder.Services.AddNitroGenerator();
builder.Services.AddNitroLive();
builder.Services.AddNitroUi();

var app = builder.Build();

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
    app.UseHsts();
}
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);

app.MapNitroLive();
app.MapNitroUi();

app.Run();
