namespace NitroLive.Core.Models;

/// <summary>The embedded demo model that ships next to the app (models/nitro-tiny).</summary>
public static class EmbeddedModel
{
    /// <summary>The folder name below the app's base directory.</summary>
    public const string RelativeDirectory = "models/nitro-tiny";

    /// <summary>
    /// <c>AppContext.BaseDirectory/models/nitro-tiny</c>: found relative to the app, never the working directory, so the
    /// CLI and the web app find it wherever they are started from.
    /// </summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "models", "nitro-tiny");
}
