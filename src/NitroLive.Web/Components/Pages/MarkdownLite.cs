using System.Text;

namespace NitroLive.Web.Components.Pages;

/// <summary>Just enough Markdown for the README page: headings, fenced code, list items and paragraphs.</summary>
internal static class MarkdownLite
{
    public enum BlockKind
    {
        Paragraph,
        Heading1,
        Heading2,
        Heading3,
        Code,
        ListItem,
    }

    public sealed record Block(BlockKind Kind, string Text, string? Anchor = null);

    public static IReadOnlyList<Block> Parse(string markdown)
    {
        var blocks = new List<Block>();
        var paragraph = new StringBuilder();
        var code = (StringBuilder?)null;

        void FlushParagraph()
        {
            if (paragraph.Length > 0)
            {
                blocks.Add(new Block(BlockKind.Paragraph, Inline(paragraph.ToString())));
                paragraph.Clear();
            }
        }

        foreach (var raw in markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.TrimEnd();
            if (code is not null)
            {
                if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
                {
                    blocks.Add(new Block(BlockKind.Code, code.ToString().TrimEnd('\n')));
                    code = null;
                }
                else
                {
                    code.Append(raw).Append('\n');
                }

                continue;
            }

            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                FlushParagraph();
                code = new StringBuilder();
            }
            else if (line.StartsWith('#'))
            {
                FlushParagraph();
                var level = line.TakeWhile(c => c == '#').Count();
                var text = Inline(line[level..].Trim());
                var kind = level switch { 1 => BlockKind.Heading1, 2 => BlockKind.Heading2, _ => BlockKind.Heading3 };
                blocks.Add(new Block(kind, text, Anchor(text)));
            }
            else if (line.TrimStart() is ['-' or '*', ' ', ..] item)
            {
                FlushParagraph();
                blocks.Add(new Block(BlockKind.ListItem, Inline(item[2..])));
            }
            else if (line.Length == 0)
            {
                FlushParagraph();
            }
            else
            {
                paragraph.Append(paragraph.Length > 0 ? " " : string.Empty).Append(line.Trim());
            }
        }

        FlushParagraph();
        if (code is not null)
        {
            blocks.Add(new Block(BlockKind.Code, code.ToString()));
        }

        return blocks;
    }

    /// <summary>GitHub's heading anchors: lower case, spaces to dashes, punctuation dropped.</summary>
    public static string Anchor(string heading)
    {
        var sb = new StringBuilder();
        foreach (var c in heading.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
            {
                sb.Append(c);
            }
            else if (c == ' ')
            {
                sb.Append('-');
            }
        }

        return sb.ToString();
    }

    // Inline Markdown is shown as text; only the emphasis and code markers are dropped.
    private static string Inline(string text) =>
        text.Replace("**", string.Empty, StringComparison.Ordinal).Replace("`", string.Empty, StringComparison.Ordinal);
}
