using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;
using MudBlazor;
using MudBlazor.Services;
using NitroLive.Web.Components.Pages;

namespace NitroLive.Web.Components.Layout;

/// <summary>
/// MudBlazor's palette variables for both themes, keyed to <c>html[data-theme]</c>, for the document's head. The
/// circuit's <see cref="MudThemeProvider"/> only learns the stored theme one browser call after its first render, and
/// until then painted the dark palette for a light-theme user; the document's inline script sets <c>data-theme</c>
/// before the first paint, so with these rules the colours are right from it, whatever the circuit renders meanwhile.
/// </summary>
internal sealed partial class ThemeStyles(ILoggerFactory loggers)
{
    private readonly Lazy<Task<string>> _css = new(() => BuildAsync(loggers), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The rules, made once (MudBlazor's own output for <see cref="NitroTheme"/>); empty when they could not be made.</summary>
    public Task<string> GetCssAsync() => _css.Value;

    internal static async Task<string> BuildAsync(ILoggerFactory loggers)
    {
        try
        {
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddMudServices();
            services.AddSingleton<IJSRuntime, NoBrowser>();
            await using var provider = services.BuildServiceProvider();
            await using var renderer = new HtmlRenderer(provider, loggers);
            var css = new StringBuilder();
            foreach (var (theme, dark) in new[] { ("dark", true), ("light", false) })
            {
                var html = await renderer.Dispatcher.InvokeAsync(async () =>
                {
                    var output = await renderer.RenderComponentAsync<MudThemeProvider>(ParameterView.FromDictionary(new Dictionary<string, object?>
                    {
                        [nameof(MudThemeProvider.Theme)] = NitroTheme.Theme,
                        [nameof(MudThemeProvider.IsDarkMode)] = dark,
                    }));
                    return output.ToHtmlString();
                });

                var match = ProviderStyle().Match(html);
                if (!match.Success || !match.Groups[1].Value.Contains(":root", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException("MudThemeProvider rendered no ':root' rules in a 'mud-theme-provider' style.");
                }

                css.Append(match.Groups[1].Value.Replace(":root", $"html[data-theme={theme}]", StringComparison.Ordinal));
            }

            return css.ToString();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever MudBlazor throws here: a cached failure would fail every document request until a restart.
            // The page still works: its colours then come from the circuit alone, a moment after the first paint.
            LiveUiLog.ThemeStylesNotMade(loggers.CreateLogger<ThemeStyles>(), ex);
            return string.Empty;
        }
    }

    [GeneratedRegex("<style class='mud-theme-provider'>(.*?)</style>", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex ProviderStyle();

    // The theme provider asks the browser for its colour scheme only after a render in a browser, which this is not.
    private sealed class NoBrowser : IJSRuntime
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) =>
            ValueTask.FromException<TValue>(new JSException("No browser: the theme's rules are rendered on the server."));

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) =>
            InvokeAsync<TValue>(identifier, args);
    }
}
