using System.Text.Json;

namespace NitroLive.Core.Scheduling;

/// <summary>
/// The parts of a diffusers scheduler configuration the LCM scheduler reads. The defaults are diffusers'
/// <c>LCMScheduler</c> defaults, which are also SDXL-base's values.
/// </summary>
/// <param name="NumTrainTimesteps">Number of training timesteps <c>T</c> (1000).</param>
/// <param name="BetaStart">First beta (0.00085).</param>
/// <param name="BetaEnd">Last beta (0.012).</param>
/// <param name="BetaSchedule"><c>scaled_linear</c> (betas linear in sqrt) or <c>linear</c>.</param>
/// <param name="PredictionType">Only <c>epsilon</c> is supported.</param>
/// <param name="TimestepScaling">Multiplier applied to the timestep in the boundary-condition scalings (10).</param>
/// <param name="SigmaData">The consistency-model sigma_data (0.5; diffusers hard-codes it).</param>
public sealed record LcmSchedulerConfig(int NumTrainTimesteps = 1000, double BetaStart = 0.00085, double BetaEnd = 0.012,
    string BetaSchedule = "scaled_linear", string PredictionType = "epsilon", double TimestepScaling = 10.0, double SigmaData = 0.5)
{
    internal static readonly string[] SupportedBetaSchedules = ["scaled_linear", "linear"];
    internal static readonly string[] SupportedPredictionTypes = ["epsilon"];

    /// <summary>
    /// Reads a diffusers <c>scheduler_config.json</c> (SDXL's <c>EulerDiscreteScheduler</c> one is the usual input).
    /// Keys the LCM scheduler does not use are ignored; missing keys keep their defaults.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid JSON, a value has the wrong type, or the beta
    /// schedule, prediction type or trained betas are not supported. The message names the file.</exception>
    public static LcmSchedulerConfig Load(string schedulerConfigJsonPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(schedulerConfigJsonPath);
        if (!File.Exists(schedulerConfigJsonPath))
        {
            throw new FileNotFoundException($"Scheduler config '{schedulerConfigJsonPath}' does not exist.", schedulerConfigJsonPath);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(schedulerConfigJsonPath));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Scheduler config '{schedulerConfigJsonPath}' is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"Scheduler config '{schedulerConfigJsonPath}' must be a JSON object.");
            }

            var defaults = new LcmSchedulerConfig();
            var config = new LcmSchedulerConfig(
                NumTrainTimesteps: ReadInt(root, "num_train_timesteps", defaults.NumTrainTimesteps, schedulerConfigJsonPath),
                BetaStart: ReadDouble(root, "beta_start", defaults.BetaStart, schedulerConfigJsonPath),
                BetaEnd: ReadDouble(root, "beta_end", defaults.BetaEnd, schedulerConfigJsonPath),
                BetaSchedule: ReadString(root, "beta_schedule", defaults.BetaSchedule, schedulerConfigJsonPath),
                PredictionType: ReadString(root, "prediction_type", defaults.PredictionType, schedulerConfigJsonPath),
                TimestepScaling: ReadDouble(root, "timestep_scaling", defaults.TimestepScaling, schedulerConfigJsonPath),
                SigmaData: defaults.SigmaData);

            if (root.TryGetProperty("trained_betas", out var trained) && trained.ValueKind != JsonValueKind.Null)
            {
                throw new InvalidDataException(
                    $"Scheduler config '{schedulerConfigJsonPath}' sets trained_betas; only computed beta schedules are supported.");
            }

            var problem = config.Validate();
            if (problem is not null)
            {
                throw new InvalidDataException($"Scheduler config '{schedulerConfigJsonPath}': {problem}");
            }

            return config;
        }
    }

    /// <summary>Returns why this configuration cannot be used, or null when it can.</summary>
    internal string? Validate()
    {
        if (!SupportedBetaSchedules.Contains(BetaSchedule, StringComparer.Ordinal))
        {
            return $"beta_schedule '{BetaSchedule}' is not supported (supported: {string.Join(", ", SupportedBetaSchedules)}).";
        }

        if (!SupportedPredictionTypes.Contains(PredictionType, StringComparer.Ordinal))
        {
            return $"prediction_type '{PredictionType}' is not supported (supported: {string.Join(", ", SupportedPredictionTypes)}).";
        }

        if (NumTrainTimesteps < 2)
        {
            return $"num_train_timesteps must be at least 2, got {NumTrainTimesteps}.";
        }

        if (!(BetaStart > 0 && BetaEnd > 0 && BetaStart < 1 && BetaEnd < 1))
        {
            return $"beta_start and beta_end must lie in (0, 1), got {BetaStart} and {BetaEnd}.";
        }

        if (!double.IsFinite(TimestepScaling) || !double.IsFinite(SigmaData) || SigmaData <= 0)
        {
            return $"timestep_scaling must be finite and sigma_data positive, got {TimestepScaling} and {SigmaData}.";
        }

        return null;
    }

    private static JsonElement? Find(JsonElement root, string key)
        => root.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static int ReadInt(JsonElement root, string key, int fallback, string path)
    {
        if (Find(root, key) is not { } value)
        {
            return fallback;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var result)
            ? result
            : throw new InvalidDataException($"Scheduler config '{path}': {key} must be an integer, got {value.GetRawText()}.");
    }

    private static double ReadDouble(JsonElement root, string key, double fallback, string path)
    {
        if (Find(root, key) is not { } value)
        {
            return fallback;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var result)
            ? result
            : throw new InvalidDataException($"Scheduler config '{path}': {key} must be a number, got {value.GetRawText()}.");
    }

    private static string ReadString(JsonElement root, string key, string fallback, string path)
    {
        if (Find(root, key) is not { } value)
        {
            return fallback;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new InvalidDataException($"Scheduler config '{path}': {key} must be a string, got {value.GetRawText()}.");
    }
}
