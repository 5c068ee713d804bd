namespace NitroLive.Core.Pipeline;

/// <summary>Which execution provider to run on.</summary>
public enum ProviderPreference
{
    /// <summary>CUDA when it loads, otherwise CPU (with one log line saying why).</summary>
    Auto,

    /// <summary>CPU only.</summary>
    Cpu,

    /// <summary>CUDA or fail: the reason it cannot load is the error.</summary>
    Cuda,
}

/// <summary>cuDNN convolution algorithm search (the CUDA provider's cudnn_conv_algo_search).</summary>
public enum CudnnConvAlgoSearch
{
    /// <summary>Benchmark every algorithm on first use of a shape: slowest warm-up, fastest steady state.</summary>
    Exhaustive,

    /// <summary>cuDNN's heuristics: fast warm-up.</summary>
    Heuristic,

    /// <summary>The default algorithm.</summary>
    Default,
}

/// <summary>How the pipeline loads its model and where it runs.</summary>
public sealed record PipelineOptions
{
    /// <summary>The model folder (see docs/engine.md for the contract).</summary>
    public required string ModelDirectory { get; init; }

    /// <summary>Execution provider choice.</summary>
    public ProviderPreference Provider { get; init; } = ProviderPreference.Auto;

    /// <summary>CUDA device ordinal.</summary>
    public int DeviceId { get; init; }

    /// <summary>Decode with vae_decoder_tiny (TAESD-style) instead of the full VAE decoder.</summary>
    public bool UseTinyDecoder { get; init; }

    /// <summary>
    /// Keep the latents in device memory between the UNet, the scheduler step (run as a small ONNX graph) and the VAE
    /// decoder, joined by IOBinding. Null (the default) means on for CUDA and off for CPU, where the host loop is simpler
    /// and as fast.
    /// </summary>
    public bool? KeepLatentsOnDevice { get; init; }

    /// <summary>Prompt embeddings kept (least recently used evicted first).</summary>
    public int EmbeddingCacheSize { get; init; } = 256;

    /// <summary>Largest batch, further limited by the model's batch axis.</summary>
    public int MaxBatch { get; init; } = 4;

    /// <summary>Intra-op threads for CPU kernels; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>cuDNN convolution algorithm search on CUDA.</summary>
    public CudnnConvAlgoSearch CudnnConvAlgoSearch { get; init; } = CudnnConvAlgoSearch.Exhaustive;

    /// <summary>Allow TF32 math on Ampere and later (float32 models only; float16 models are unaffected).</summary>
    public bool UseTf32 { get; init; } = true;

    /// <summary>Grow the CUDA arena by exactly what is requested instead of powers of two (less memory held).</summary>
    public bool ArenaSameAsRequested { get; init; } = true;

    /// <summary>CUDA memory limit for the arena in bytes; 0 for no limit.</summary>
    public long GpuMemoryLimitBytes { get; init; }

    /// <summary>
    /// Opt in to ONNX Runtime's TensorRT provider ahead of CUDA (CUDA still runs what TensorRT does not take). Used only
    /// when CUDA is selected and TensorRT's libraries load; otherwise the pipeline stays on plain CUDA and says why.
    /// The first run of each shape builds a TensorRT engine, which takes minutes for an SDXL UNet: set
    /// <see cref="TensorRtCacheDirectory"/> so that happens once per machine, not once per start.
    /// </summary>
    public bool UseTensorRt { get; init; }

    /// <summary>Where TensorRT keeps built engines and timing caches; empty for no cache.</summary>
    public string TensorRtCacheDirectory { get; init; } = string.Empty;
}
