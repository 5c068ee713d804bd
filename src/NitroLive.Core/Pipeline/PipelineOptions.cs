using Microsoft.ML.OnnxRuntime;

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

/// <summary>
/// cuDNN convolution algorithm search (the CUDA provider's cudnn_conv_algo_search). With cuDNN 9, ONNX Runtime 1.31 builds
/// each convolution's plan through cuDNN's frontend and builds it again whenever the node's input shape differs from
/// its previous run's (no cache per shape): a caller whose batch size or image size changes from run to run pays it
/// every time (docs/performance.md, GPU run 6).
/// </summary>
public enum CudnnConvAlgoSearch
{
    /// <summary>ORT's <c>EXHAUSTIVE</c>; under cuDNN 9, cuDNN's heuristic mode B (its more thorough, slower one).</summary>
    Exhaustive,

    /// <summary>ORT's <c>HEURISTIC</c>; under cuDNN 9, cuDNN's heuristic mode A: quicker to plan.</summary>
    Heuristic,

    /// <summary>ORT's <c>DEFAULT</c>; under cuDNN 9, cuDNN's fallback engines (ORT warns they may be very slow).</summary>
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

    /// <summary>Decode every image with vae_decoder_tiny (TAESD-style) instead of the full VAE decoder.</summary>
    public bool UseTinyDecoder { get; init; }

    /// <summary>
    /// Also open vae_decoder_tiny, when the folder has one, and decode the requests marked
    /// <see cref="GenerationRequest.Draft"/> with it (<see cref="ModelDescription.DraftsUseTinyDecoder"/>): a quick
    /// picture while a prompt is changing, the full decoder's once it stops. On by default; without a tiny decoder, or
    /// with <see cref="UseTinyDecoder"/>, drafts decode like every other request.
    /// </summary>
    public bool TinyDecoderForDrafts { get; init; } = true;

    /// <summary>
    /// Keep the latents in device memory between the UNet, the scheduler step (run as a small ONNX graph) and the VAE
    /// decoder, joined by IOBinding. Null (the default) means on for CUDA and off for CPU, where the host loop is simpler
    /// and as fast.
    /// </summary>
    public bool? KeepLatentsOnDevice { get; init; }

    /// <summary>
    /// Where the results' RGB arrays come from; null for a new array per image. A caller that sets it owns each result's
    /// array and hands it back with <see cref="RgbBufferPool.Return"/> once nothing reads it (the web app does after
    /// sending the frame); arrays never handed back simply go to the garbage collector.
    /// </summary>
    public RgbBufferPool? ResultBuffers { get; init; }

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

    /// <summary>
    /// Opt in to CUDA graphs for the UNet: each (batch, width, height) gets its own UNet session with the CUDA provider's
    /// <c>enable_cuda_graph</c> and every symbolic input dimension fixed, fed from fixed device buffers, so ONNX Runtime
    /// captures the UNet's kernel launches after its warm-up runs and replays them. Off by default because each cached
    /// shape (up to four) holds one more UNet session, weights included (several GB of GPU memory for an SDXL UNet),
    /// opening it costs a UNet load on the first frame of that shape, and it works only on CUDA (not with TensorRT) with
    /// <see cref="KeepLatentsOnDevice"/>. When a shape's session cannot be opened or run, that shape falls back to the
    /// normal UNet session with one warning.
    /// </summary>
    public bool UseCudaGraphs { get; init; }

    /// <summary>
    /// For tests: open the per-shape UNet sessions and upload graphs of <see cref="UseCudaGraphs"/> on any provider (the
    /// CPU provider has no CUDA graphs, but the rest of the path is the same) whenever latents stay on the device.
    /// </summary>
    internal bool ForceShapeSessions { get; init; }

    /// <summary>
    /// For tests: fix the per-shape UNet session's symbolic dimensions (on by default). Fixed dimensions let ONNX Runtime
    /// compile the CPU UNet differently (pixels within one level of the shared session's); without them the per-shape
    /// path must give exactly the shared session's pixels.
    /// </summary>
    internal bool FixShapeDimensions { get; init; } = true;

    /// <summary>For tests: changes each per-shape UNet session's options before the dimension overrides are added.</summary>
    internal Action<SessionOptions>? ConfigureShapeSession { get; init; }

    /// <summary>
    /// For tests: runs with (batch, width, height) before a new shape's device buffers are allocated; an
    /// <see cref="OutOfMemoryException"/> thrown there stands in for a device that has no room for that shape.
    /// </summary>
    internal Action<int, int, int>? BeforeDeviceBuffers { get; init; }

    /// <summary>For tests: runs just before each UNet run on a per-shape session (see <see cref="UseCudaGraphs"/>).</summary>
    internal Action? BeforeShapeRun { get; init; }

    /// <summary>For tests: how long disposing waits for a generation under way (30 s when null).</summary>
    internal TimeSpan? StopTimeout { get; init; }
}
