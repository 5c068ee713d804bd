using NitroLive.Web.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddNitroUi();

var app = builder.Build();

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
    app.UseHsts();
}
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);

app.MapNitroUi();

app.Run();
