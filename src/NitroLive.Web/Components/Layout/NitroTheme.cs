using MudBlazor;

namespace NitroLive.Web.Components.Layout;

/// <summary>
/// NitroLive's MudBlazor theme. Colours are chosen for WCAG AA contrast (4.5:1 for text) on their backgrounds in
/// both palettes; app.css mirrors them as CSS variables for the parts that are not MudBlazor components.
/// </summary>
internal static class NitroTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#5b2bd6",
            PrimaryContrastText = "#ffffff",
            Secondary = "#b3186a",
            Tertiary = "#006c7a",
            Background = "#f6f5fa",
            Surface = "#ffffff",
            AppbarBackground = "#ffffff",
            AppbarText = "#1b1530",
            TextPrimary = "#1b1530",
            TextSecondary = "#4b4563",
            ActionDefault = "#3e3857",
            LinesDefault = "#d9d5e6",
            Divider = "#d9d5e6",
            Warning = "#8a5300",
            Info = "#0b5cad",
            Success = "#1d6b2c",
            Error = "#b3261e",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#b69cff",
            PrimaryContrastText = "#160b33",
            Secondary = "#ff8cc6",
            Tertiary = "#5fd6e6",
            Background = "#0f0d17",
            Surface = "#1a1726",
            AppbarBackground = "#15121f",
            AppbarText = "#eeeaf8",
            TextPrimary = "#eeeaf8",
            TextSecondary = "#b9b3cc",
            ActionDefault = "#d4cfe3",
            LinesDefault = "#3a3550",
            Divider = "#2d2940",
            DrawerBackground = "#15121f",
            Warning = "#ffb95c",
            Info = "#8cc4ff",
            Success = "#7fdc8f",
            Error = "#ff8a80",
        },
        LayoutProperties = new LayoutProperties
        {
            DefaultBorderRadius = "10px",
        },
    };
}
