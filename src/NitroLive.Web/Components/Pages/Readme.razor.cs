using Microsoft.AspNetCore.Components;

namespace NitroLive.Web.Components.Pages;

/// <summary>
/// The README, served by the app itself so that the demo banner's "real models" link works offline. Rendered as
/// plain text blocks (headings get GitHub-style anchors); nothing is interpreted as markup.
/// </summary>
public sealed partial class Readme
{
    private IReadOnlyList<MarkdownLite.Block> _blocks = [];

    [Inject]
    private IWebHostEnvironment Environment { get; set; } = default!;

    /// <inheritdoc />
    protected override async Task OnInitializedAsync()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "README.md");
        if (!File.Exists(file))
        {
            // dotnet run from the source tree: the repository's README two folders up from the project.
            file = Path.GetFullPath(Path.Combine(Environment.ContentRootPath, "..", "..", "README.md"));
        }

        if (File.Exists(file))
        {
            _blocks = MarkdownLite.Parse(await File.ReadAllTextAsync(file));
        }
    }
}
