using System.Text;
using System.Text.Json;
using NitroLive.Cli.CommandLine;
using NitroLive.Core.Scheduling;

namespace NitroLive.Cli.Commands;

/// <summary>
/// <c>nitrolive schedule --shifted-timestep S --steps N [--original-steps 4] [--scheduler-config PATH]</c>:
/// prints the schedule as one JSON object so it can be diffed against diffusers.
/// </summary>
internal static class ScheduleCommand
{
    public const int Ok = 0;
    public const int InvalidSchedule = 1;
    public const int UsageError = 2;

    private const string UsageText = """
        Usage: nitrolive schedule --shifted-timestep S --steps N [--original-steps 4] [--scheduler-config PATH]

        Prints NitroFusion's TimestepShiftLCMScheduler schedule as one JSON object:
          {"unet_timesteps":[...],"origin_timesteps":[...],"steps":[{"alpha_prod_t":..,"alpha_prod_t_prev":..,"c_skip":..,"c_out":..}]}
        Values are float64. An impossible combination exits with 1 and diffusers' reason on stderr.

        Options:
          --shifted-timestep S    NitroFusion's shifted_timestep (250 Realism, 500 Vibrant)
          --steps N               number of UNet evaluations
          --original-steps K      LCM original_inference_steps (default 4, as NitroFusion sets it)
          --scheduler-config P    a diffusers scheduler_config.json (default: SDXL-base values)
        """;

    // Only integers here: the scheduler refuses impossible values with diffusers' own reason (exit 1).
    private static readonly CliOption<int?> ShiftedTimestep = CliOptions.Int("--shifted-timestep", required: true);
    private static readonly CliOption<int?> Steps = CliOptions.Int("--steps", required: true);
    private static readonly CliOption<int?> OriginalSteps = CliOptions.Int("--original-steps");
    private static readonly CliOption<string?> ConfigPath = CliOptions.Text("--scheduler-config", "a scheduler_config.json path");
    private static readonly CommandSyntax Syntax = new(ShiftedTimestep, Steps, OriginalSteps, ConfigPath) { HelpNames = ["-h", "--help"] };

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        if (!Syntax.TryParse(args, out var options, out var problem))
        {
            return Fail(error, problem);
        }

        if (options.IsHelp)
        {
            output.WriteLine(UsageText);
            return Ok;
        }

        var configPath = options.Get(ConfigPath);
        LcmSchedule schedule;
        try
        {
            var config = configPath is null ? new LcmSchedulerConfig() : LcmSchedulerConfig.Load(configPath);
            schedule = new TimestepShiftLcmScheduler(config, options.Get(ShiftedTimestep)!.Value, options.Get(OriginalSteps) ?? 4)
                .CreateSchedule(options.Get(Steps)!.Value);
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            // SchedulerException is an ArgumentException and carries diffusers' message; file problems (a config that is
            // not valid JSON is an InvalidDataException) name the file.
            error.WriteLine(ex.Message);
            return InvalidSchedule;
        }

        output.WriteLine(ToJson(schedule));
        return Ok;
    }

    internal static string ToJson(LcmSchedule schedule)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("unet_timesteps");
            foreach (var t in schedule.UnetTimesteps)
            {
                writer.WriteNumberValue(t);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("origin_timesteps");
            foreach (var t in schedule.OriginTimesteps)
            {
                writer.WriteNumberValue(t);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("steps");
            foreach (var step in schedule.Steps)
            {
                writer.WriteStartObject();
                writer.WriteNumber("alpha_prod_t", step.AlphaProdT);
                writer.WriteNumber("alpha_prod_t_prev", step.AlphaProdTPrev);
                writer.WriteNumber("c_skip", step.CSkip);
                writer.WriteNumber("c_out", step.COut);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine(message);
        error.WriteLine(UsageText);
        return UsageError;
    }
}
