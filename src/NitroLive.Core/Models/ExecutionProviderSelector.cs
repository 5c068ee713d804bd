using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Models;

/// <summary>
/// Decides once where the sessions run: CUDA when its provider loads and opens a session on the device, otherwise CPU,
/// and says which and why in one log line. Every session of a pipeline takes its options from here.
/// </summary>
public sealed partial class ExecutionProviderSelector
{
    private readonly PipelineOptions _options;

    /// <summary>Probes the providers according to <paramref name="options"/>.</summary>
    /// <exception cref="InvalidOperationException">CUDA was required and cannot be used; the message says why.</exception>
    public ExecutionProviderSelector(PipelineOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        if (options.Provider == ProviderPreference.Cpu)
        {
            Provider = "CPU";
            Reason = "CPU requested";
        }
        else if (TryCuda(out var failure))
        {
            Provider = "CUDA";
            Reason = string.Create(CultureInfo.InvariantCulture, $"CUDA device {options.DeviceId} opened a session");
            if (options.UseTensorRt)
            {
                if (TryProbe(appendTensorRt: true, out var tensorRtFailure))
                {
                    UsesTensorRt = true;
                    Reason += "; TensorRT provider on (CUDA runs the nodes it does not take)";
                }
                else
                {
                    Reason += "; TensorRT requested but unavailable (" + tensorRtFailure + "), plain CUDA";
                }
            }
        }
        else if (options.Provider == ProviderPreference.Cuda)
        {
            Log.CudaRequiredButUnavailable(logger, failure);
            throw new InvalidOperationException($"CUDA was requested but cannot be used: {failure}");
        }
        else
        {
            Provider = "CPU";
            Reason = "CUDA unavailable: " + failure + (options.UseTensorRt ? " (TensorRT was requested; it needs CUDA)" : string.Empty);
        }

        Log.ProviderSelected(logger, Provider, Reason);
    }

    /// <summary>"CUDA" or "CPU".</summary>
    public string Provider { get; }

    /// <summary>Why that provider: for CPU under Auto, what stopped CUDA (e.g. "libcublasLt.so.12 not found").</summary>
    public string Reason { get; }

    /// <summary>True when sessions run on the CUDA provider.</summary>
    public bool IsCuda => Provider == "CUDA";

    /// <summary>True when TensorRT was requested, CUDA is selected and TensorRT's libraries loaded.</summary>
    public bool UsesTensorRt { get; }

    /// <summary>Fresh session options for one model on the selected provider; the caller disposes them.</summary>
    public SessionOptions CreateSessionOptions() => CreateSessionOptions(cudaGraph: false);

    /// <summary>
    /// Session options as <see cref="CreateSessionOptions()"/>, with the CUDA provider's <c>enable_cuda_graph</c> on when
    /// <paramref name="cudaGraph"/> is set and the provider is CUDA (the CPU provider has no such option).
    /// </summary>
    internal SessionOptions CreateSessionOptions(bool cudaGraph)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        try
        {
            if (_options.IntraOpThreads > 0)
            {
                options.IntraOpNumThreads = _options.IntraOpThreads;
            }

            if (UsesTensorRt)
            {
                // Providers are tried in the order appended: TensorRT first, CUDA for the rest.
                using var tensorRt = TensorRtOptions();
                options.AppendExecutionProvider_Tensorrt(tensorRt);
            }

            if (IsCuda)
            {
                using var cuda = CudaOptions(cudaGraph);
                options.AppendExecutionProvider_CUDA(cuda);
            }

            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Turns ONNX Runtime's provider-load error into a short reason: the missing shared library when there is one
    /// ("libcublasLt.so.12 not found"), otherwise the error's first line.
    /// </summary>
    public static string DescribeFailure(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var missing = MissingLibrary().Match(message);
        if (missing.Success)
        {
            return missing.Groups[1].Value + " not found";
        }

        var firstLine = message.Split('\n', 2)[0].Trim();
        return firstLine.Length > 240 ? firstLine[..240] + "..." : firstLine;
    }

    /// <summary>
    /// The CUDA provider settings this selector uses; <paramref name="cudaGraph"/> adds <c>enable_cuda_graph</c>, which makes
    /// ORT capture the session's kernels after its warm-up runs and replay them (static shapes, device-bound inputs only).
    /// </summary>
    internal Dictionary<string, string> CudaSettings(bool cudaGraph)
    {
        var settings = new Dictionary<string, string>
        {
            ["device_id"] = _options.DeviceId.ToString(CultureInfo.InvariantCulture),
            ["cudnn_conv_algo_search"] = _options.CudnnConvAlgoSearch switch
            {
                CudnnConvAlgoSearch.Heuristic => "HEURISTIC",
                CudnnConvAlgoSearch.Default => "DEFAULT",
                _ => "EXHAUSTIVE",
            },
            ["use_tf32"] = _options.UseTf32 ? "1" : "0",
            ["arena_extend_strategy"] = _options.ArenaSameAsRequested ? "kSameAsRequested" : "kNextPowerOfTwo",
            ["do_copy_in_default_stream"] = "1",
        };
        if (_options.GpuMemoryLimitBytes > 0)
        {
            settings["gpu_mem_limit"] = _options.GpuMemoryLimitBytes.ToString(CultureInfo.InvariantCulture);
        }

        if (cudaGraph)
        {
            settings["enable_cuda_graph"] = "1";
        }

        return settings;
    }

    private OrtCUDAProviderOptions CudaOptions(bool cudaGraph = false)
    {
        var cuda = new OrtCUDAProviderOptions();
        try
        {
            cuda.UpdateOptions(CudaSettings(cudaGraph));
            return cuda;
        }
        catch
        {
            cuda.Dispose();
            throw;
        }
    }

    private bool TryCuda(out string failure) => TryProbe(appendTensorRt: false, out failure);

    private bool TryProbe(bool appendTensorRt, out string failure)
    {
        try
        {
            // The provider bridge logs through ORT's default logger, which exists only once the environment does.
            _ = OrtEnv.Instance();
            using var sessionOptions = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
            if (appendTensorRt)
            {
                using var tensorRt = TensorRtOptions();
                sessionOptions.AppendExecutionProvider_Tensorrt(tensorRt);
            }

            using var cuda = CudaOptions();
            sessionOptions.AppendExecutionProvider_CUDA(cuda);

            // Appending only loads the provider library; opening a session proves a device (and TensorRT) is there.
            using var session = new InferenceSession(OnnxModelWriter.IdentityProbe(), sessionOptions);
            failure = string.Empty;
            return true;
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            failure = DescribeFailure(ex.Message);
            return false;
        }
    }

    /// <summary>The TensorRT provider settings this selector uses (fp16 kernels allowed, engines cached when a directory is set).</summary>
    internal Dictionary<string, string> TensorRtSettings()
    {
        var settings = new Dictionary<string, string>
        {
            ["device_id"] = _options.DeviceId.ToString(CultureInfo.InvariantCulture),
            ["trt_fp16_enable"] = "1",
        };
        if (!string.IsNullOrWhiteSpace(_options.TensorRtCacheDirectory))
        {
            settings["trt_engine_cache_enable"] = "1";
            settings["trt_engine_cache_path"] = _options.TensorRtCacheDirectory;
            settings["trt_timing_cache_enable"] = "1";
            settings["trt_timing_cache_path"] = _options.TensorRtCacheDirectory;
        }

        return settings;
    }

    private OrtTensorRTProviderOptions TensorRtOptions()
    {
        var tensorRt = new OrtTensorRTProviderOptions();
        try
        {
            tensorRt.UpdateOptions(TensorRtSettings());
            return tensorRt;
        }
        catch
        {
            tensorRt.Dispose();
            throw;
        }
    }

    [GeneratedRegex(@"(lib[A-Za-z0-9_+\-]+(?:\.[A-Za-z0-9_+\-]+)*\.so(?:\.[0-9]+)*)\s*:\s*cannot open shared object file", RegexOptions.CultureInvariant)]
    private static partial Regex MissingLibrary();

    private static partial class Log
    {
        [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Execution provider {Provider}: {Reason}")]
        public static partial void ProviderSelected(ILogger logger, string provider, string reason);

        [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "CUDA was requested but cannot be used: {Reason}")]
        public static partial void CudaRequiredButUnavailable(ILogger logger, string reason);
    }
}
