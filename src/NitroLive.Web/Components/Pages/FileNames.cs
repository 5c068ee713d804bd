using System.Globalization;
using System.Text;

namespace NitroLive.Web.Components.Pages;

internal static class FileNames
{
    /// <summary>"nitrolive-a-red-circle-on-a-blue-1234.png": readable, safe on every file system.</summary>
    public static string ForFrame(string prompt, long seed)
    {
        var slug = new StringBuilder();
        foreach (var c in prompt.ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9')
            {
                slug.Append(c);
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }

            if (slug.Length >= 40)
            {
                break;
            }
        }

        var name = slug.ToString().Trim('-');
        return string.Create(CultureInfo.InvariantCulture, $"nitrolive-{(name.Length == 0 ? "frame" : name)}-{seed}.png");
    }
}
