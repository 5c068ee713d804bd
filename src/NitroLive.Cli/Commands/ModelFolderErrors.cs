using NitroLive.Core.Models;

namespace NitroLive.Cli.Commands;

/// <summary>How the commands that load a model report a model folder that fails validation: every problem, exit 1.</summary>
internal static class ModelFolderErrors
{
    public const int ExitCode = 1;

    /// <summary>Writes "<paramref name="command"/>: the model folder 'DIR' is not valid:" and each problem on its own line.</summary>
    public static async Task<int> ReportAsync(TextWriter error, string command, ModelValidationException exception)
    {
        await error.WriteLineAsync($"{command}: the model folder '{exception.Directory}' is not valid:");
        foreach (var problem in exception.Problems)
        {
            await error.WriteLineAsync($"  {problem}");
        }

        return ExitCode;
    }
}
