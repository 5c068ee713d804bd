using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using NitroLive.Cli.CommandLine;
using NitroLive.Core.Models;
using NitroLive.Core.Pipeline;

namespace NitroLive.Cli.Commands;

/// <summary><c>nitrolive verify-model DIR</c>: what the folder holds, or every problem with it.</summary>
internal static class VerifyModelCommand
{
    private const string UsageLine = "usage: verify-model DIR [--provider auto|cpu|cuda] [--no-load]";

    private static readonly CliOption<ProviderPreference?> Provider = CliOptions.Provider();
    private static readonly CliOption NoLoad = CliOptions.Flag("--no-load");
    private static readonly CommandSyntax Syntax = new(Provider, NoLoad) { MaxPositionals = 1 };

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (!CommandStart.TryParse<ParsedCommandLine?>("verify-model", UsageLine, args, Syntax.TryParse, output, error, out var options, out var exitCode))
        {
            return exitCode;
        }

        if (options!.Positionals is not [var directory])
        {
            return CommandStart.Refuse(error, "verify-model", "missing DIR", UsageLine);
        }

        var provider = options.Get(Provider) ?? ProviderPreference.Auto;
        var load = !options.Has(NoLoad);
        var inspection = ModelFolder.Inspect(directory);
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"Model folder: {inspection.Directory}");
        if (inspection.Files.Count > 0)
        {
            report.AppendLine("Files:");
            var width = inspection.Files.Max(f => f.RelativePath.Length);
            foreach (var file in inspection.Files)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"  {file.RelativePath.PadRight(width)}  {file.Bytes,14:N0} bytes");
            }
        }

        foreach (var (path, graph) in inspection.Graphs.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"{path} (ir_version {graph.IrVersion}, opset {graph.Opset})");
            var width = graph.Inputs.Concat(graph.Outputs).Select(t => t.Name.Length).DefaultIfEmpty(0).Max();
            foreach (var input in graph.Inputs)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"  input   {input.Name.PadRight(width)}  {input}");
            }

            foreach (var o in graph.Outputs)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"  output  {o.Name.PadRight(width)}  {o}");
            }
        }

        var problems = inspection.Problems.ToList();
        if (inspection.Folder is { } folder)
        {
            var m = folder.Manifest;
            report.AppendLine(CultureInfo.InvariantCulture,
                $"Model: {m.DisplayName} (variant {m.Variant}, family {m.Family}{(m.EmbeddedDemo ? ", embedded demo" : "")})");
            report.AppendLine(CultureInfo.InvariantCulture,
                $"  native {m.NativeWidth}x{m.NativeHeight}, sizes {string.Join(" ", m.Sizes.Select(s => $"{s.Width}x{s.Height}"))}, steps {string.Join(",", m.SupportedSteps)}, shifted_timestep {m.ShiftedTimestep}, original_inference_steps {m.OriginalInferenceSteps}");
            report.AppendLine(CultureInfo.InvariantCulture,
                $"  example prompts: {m.ExamplePrompts.Count}, vocabulary: {(m.Vocabulary.Count == 0 ? "any text" : $"{m.Vocabulary.Count} words")}");
            report.AppendLine(CultureInfo.InvariantCulture,
                $"  text encoders: {folder.TextEncoder.PenultimateHiddenState} ({folder.TextEncoder.HiddenSize?.ToString(CultureInfo.InvariantCulture) ?? "?"}) + {folder.TextEncoder2.PenultimateHiddenState} ({folder.TextEncoder2.HiddenSize?.ToString(CultureInfo.InvariantCulture) ?? "?"}), pooled text_embeds ({folder.TextEncoder2.PooledSize?.ToString(CultureInfo.InvariantCulture) ?? "?"})");
            report.AppendLine(CultureInfo.InvariantCulture,
                $"  unet: {OnnxElementTypes.Name(folder.Unet.SampleType)} latents, {folder.Unet.LatentChannels} channels, timestep {OnnxElementTypes.Name(folder.Unet.TimestepType)} rank {folder.Unet.TimestepRank}, batch {(folder.Unet.FixedBatch is { } b ? b.ToString(CultureInfo.InvariantCulture) : "dynamic")}{(folder.Unet.Graph.UsesOnnxRuntimeContribOperators ? ", ONNX Runtime fusions" : "")}");
            if (FusionAdvice.ForPortableUnet(folder) is { } advice)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"  note: {advice}");
            }

            report.AppendLine(CultureInfo.InvariantCulture,
                $"  vae_decoder: scale factor {folder.VaeScaleFactor}, scaling_factor {folder.VaeDecoder.Config.ScalingFactor.ToString(CultureInfo.InvariantCulture)}, {OnnxElementTypes.Name(folder.VaeDecoder.LatentType)}{(folder.VaeDecoder.Config.ForceUpcast ? ", force_upcast" : "")}{(folder.VaeDecoderTiny is null ? "" : "; vae_decoder_tiny present")}");
            var componentProblems = NitroPipeline.CheckComponents(folder);
            problems.AddRange(componentProblems);
            if (componentProblems.Count == 0)
            {
                report.AppendLine("Tokenizers and scheduler: load; every supported step count has a schedule");
            }

            if (load)
            {
                using var logging = CliLogging.Create(LogLevel.Warning);
                try
                {
                    var providers = new ExecutionProviderSelector(new PipelineOptions { ModelDirectory = folder.Directory, Provider = provider },
                        logging.CreateLogger("NitroLive.Providers"));
                    report.AppendLine(CultureInfo.InvariantCulture, $"Provider: {providers.Provider} ({providers.Reason})");
                    var loadProblems = ModelSessions.CheckAll(folder, providers);
                    problems.AddRange(loadProblems);
                    if (loadProblems.Count == 0)
                    {
                        report.AppendLine(CultureInfo.InvariantCulture, $"Sessions: all {ModelSessions.ModelPaths(folder).Count} models open on {providers.Provider}");
                    }
                }
                catch (InvalidOperationException ex)
                {
                    problems.Add(new ModelProblem(inspection.Directory, null, ex.Message));
                }
            }
        }

        if (problems.Count == 0)
        {
            report.AppendLine("OK: no problems found");
        }
        else
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"{problems.Count} problem{(problems.Count == 1 ? "" : "s")}:");
            foreach (var p in problems)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"  {p}");
            }
        }

        output.Write(report.ToString());
        return problems.Count == 0 ? 0 : 1;
    }
}
