namespace NitroLive.Cli.Evaluation;

/// <summary>The prompts the live bench types and eval-transitions renders.</summary>
internal static class DemoPrompts
{
    /// <summary>Prompts in the embedded model's grammar (colours, shapes, counts, sizes, positions, backgrounds).</summary>
    public static readonly string[] All =
    [
        "a red circle on a blue background",
        "two yellow triangles",
        "a big green square at the top left",
        "three small purple circles on a white background",
        "a small orange triangle in the center",
        "a blue square at the bottom right on a yellow background",
        "a black circle at the left and a white square at the right",
        "two big red squares on a green background",
        "a purple triangle at the top",
        "three orange circles at the bottom on a black background",
        "a small yellow square and a big blue circle",
        "a white triangle on a red background",
    ];
}
