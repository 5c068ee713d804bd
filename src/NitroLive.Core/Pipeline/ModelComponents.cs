using NitroLive.Core.Models;
using NitroLive.Core.Scheduling;
using NitroLive.Core.Text;

namespace NitroLive.Core.Pipeline;

/// <summary>The non-ONNX parts of a model folder the pipeline needs: both tokenizers and a schedule per supported step count.</summary>
internal sealed record ModelComponents(ClipTokenizer Tokenizer1, ClipTokenizer Tokenizer2, IReadOnlyDictionary<int, LcmSchedule> Schedules)
{
    private const string SchedulerConfigFile = "scheduler/scheduler_config.json";

    /// <summary>Every problem loading the tokenizers and the scheduler (empty when they load); for verify-model.</summary>
    public static IReadOnlyList<ModelProblem> Check(ModelFolder folder)
    {
        var problems = new List<ModelProblem>();
        TryLoad(folder, problems);
        return problems;
    }

    /// <summary>Loads everything, adding each failure to <paramref name="problems"/>; null when anything failed.</summary>
    public static ModelComponents? TryLoad(ModelFolder folder, List<ModelProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var before = problems.Count;
        var tokenizer1 = LoadTokenizer(folder, "tokenizer", problems);
        var tokenizer2 = LoadTokenizer(folder, "tokenizer_2", problems);
        var schedules = LoadSchedules(folder, problems);
        if (tokenizer1 is not null && tokenizer2 is not null && tokenizer1.MaxLength != tokenizer2.MaxLength)
        {
            problems.Add(new ModelProblem("tokenizer_2/tokenizer_config.json", null,
                $"model_max_length {tokenizer2.MaxLength} differs from tokenizer's {tokenizer1.MaxLength}; both encoders' tokens are concatenated"));
        }

        CheckSequenceLength(ModelFolder.TextEncoderPath, folder.TextEncoder, tokenizer1, problems);
        CheckSequenceLength(ModelFolder.TextEncoder2Path, folder.TextEncoder2, tokenizer2, problems);
        return problems.Count == before && tokenizer1 is not null && tokenizer2 is not null
            ? new ModelComponents(tokenizer1, tokenizer2, schedules)
            : null;
    }

    private static ClipTokenizer? LoadTokenizer(ModelFolder folder, string subfolder, List<ModelProblem> problems)
    {
        try
        {
            return ClipTokenizer.Load(folder.PathOf(subfolder));
        }
        catch (TokenizerLoadException ex)
        {
            var file = Path.GetRelativePath(folder.Directory, ex.FilePath).Replace(Path.DirectorySeparatorChar, '/');
            problems.Add(new ModelProblem(file, null, ex.Message));
            return null;
        }
    }

    private static Dictionary<int, LcmSchedule> LoadSchedules(ModelFolder folder, List<ModelProblem> problems)
    {
        var schedules = new Dictionary<int, LcmSchedule>();
        TimestepShiftLcmScheduler scheduler;
        try
        {
            var config = LcmSchedulerConfig.Load(folder.PathOf(SchedulerConfigFile));
            scheduler = new TimestepShiftLcmScheduler(config, folder.Manifest.ShiftedTimestep, folder.Manifest.OriginalInferenceSteps);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or ArgumentException)
        {
            problems.Add(new ModelProblem(SchedulerConfigFile, null, ex.Message));
            return schedules;
        }

        foreach (var steps in folder.Manifest.SupportedSteps.Distinct())
        {
            try
            {
                schedules[steps] = scheduler.CreateSchedule(steps);
            }
            catch (ArgumentException ex)
            {
                problems.Add(new ModelProblem(ModelFolder.ManifestPath, null, $"supported_steps {steps} has no schedule: {ex.Message}"));
            }
        }

        return schedules;
    }

    private static void CheckSequenceLength(string file, TextEncoderLayout layout, ClipTokenizer? tokenizer, List<ModelProblem> problems)
    {
        if (tokenizer is not null && layout.SequenceLength is { } fixedLength && fixedLength != tokenizer.MaxLength)
        {
            problems.Add(new ModelProblem(file, "input_ids",
                $"input 'input_ids' takes {fixedLength} tokens but the tokenizer pads to {tokenizer.MaxLength}"));
        }
    }
}
