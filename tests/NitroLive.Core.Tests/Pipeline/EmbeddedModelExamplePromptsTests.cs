using NitroLive.Cli.Commands;
using NitroLive.Cli.Evaluation;

namespace NitroLive.Core.Tests.Pipeline;

/// <summary>
/// The embedded model's example prompts (nitrolive.json) are what the studio suggests and the kiosk shows to anyone who
/// walks by, so each must come out as its words say, whatever the seed: eval/examples.json holds their scenes and the
/// judge checks each prompt at eight seeds through the real C# pipeline. When they were chosen every one was right at
/// 16 seeds of 16, at 1 and at 4 steps.
/// </summary>
public sealed class EmbeddedModelExamplePromptsTests(EmbeddedPipelineFixture fixture) : IClassFixture<EmbeddedPipelineFixture>
{
    private const int Seeds = 8;
    private const int AllowedMisses = 1;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task EveryExamplePromptIsDrawnAsItsWordsSayAtAnySeed()
    {
        var examples = fixture.Pipeline.Model.ExamplePrompts;
        Assert.True(examples.Count >= 4, $"The embedded model names {examples.Count} example prompts; the studio shows four.");
        var scenes = HeldoutRecord.Load(Path.Combine(fixture.ModelDirectory, "eval", "examples.json"));
        Assert.Equal(examples, scenes.Select(r => r.Prompt));

        // Each prompt eight times in a row: EvaluateAsync gives record i the seed 1000 + i, so each gets eight seeds.
        var records = scenes.SelectMany(r => Enumerable.Repeat(r, Seeds)).ToList();
        var results = await EvalModelCommand.EvaluateAsync(fixture.Pipeline, records, steps: 1, seed: 1000, CancellationToken.None).WaitAsync(Timeout);

        var wrong = results
            .GroupBy(r => r.Record.Prompt)
            .Select(g => (Prompt: g.Key, Misses: g.Count(r => !r.Verdict.All)))
            .Where(p => p.Misses > AllowedMisses)
            .Select(p => $"'{p.Prompt}' wrong at {p.Misses} of {Seeds} seeds")
            .ToList();
        Assert.True(wrong.Count == 0, string.Join("; ", wrong));
    }
}
