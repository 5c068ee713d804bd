using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NitroLive.Core.Models;
using NitroLive.Core.Scheduling;
using NitroLive.Core.Text;

namespace NitroLive.Core.Pipeline;

/// <summary>
/// NitroFusion-style SDXL text-to-image on ONNX Runtime: CLIP tokenizers, both text encoders (penultimate hidden states,
/// cached per prompt), seeded noise, the UNet for 1..4 TimestepShiftLCM steps, then the VAE decoder to RGB bytes.
/// Every model buffer is allocated once per (batch, size) and reused. One generation at a time.
/// </summary>
public sealed partial class NitroPipeline : IImageGenerator, IDisposable
{
    private const int MaxBufferSets = 4;

    private readonly ILogger _logger;
    private readonly ExecutionProviderSelector _providers;
    private readonly ClipTokenizer _tokenizer1;
    private readonly ClipTokenizer _tokenizer2;
    private readonly IReadOnlyDictionary<int, LcmSchedule> _schedules;
    private readonly List<InferenceSession> _sessions = [];
    private readonly InferenceSession _textEncoder1;
    private readonly InferenceSession _textEncoder2;
    private readonly InferenceSession _unet;
    private readonly DecoderStage _decoder;
    private readonly DecoderStage? _draftDecoder;
    private readonly DecoderStage[] _decoders;
    private readonly TextEncoderBuffers _text;
    private readonly PromptEmbeddingCache _cache;
    private readonly LinkedList<BufferSet> _bufferSets = new();
    private LatentStepGraphs? _stepGraphs;
    private UnetUploadGraphs? _uploads;
    private readonly bool _shapeSessions;
    private readonly Action<SessionOptions>? _configureShapeSession;
    private readonly Action<int, int, int>? _beforeDeviceBuffers;
    private readonly Action? _beforeShapeRun;

    // Runs that must not be interrupted: see RunUnet.
    private readonly RunOptions _uninterrupted = new();
    private readonly bool _fixShapeDimensions;
    private readonly RgbBufferPool? _resultBuffers;
    private readonly OrtMemoryInfo? _deviceMemory;
    private readonly GeneratorThread _thread;
    private int _running;
    private bool _disposed;

    /// <summary>Loads and validates the model folder and opens every session on the selected provider.</summary>
    /// <exception cref="ModelValidationException">The folder breaks the contract; every problem is listed.</exception>
    /// <exception cref="InvalidOperationException">CUDA was required and cannot be used.</exception>
    public NitroPipeline(PipelineOptions options, ILoggerFactory? loggerFactory = null)
        : this(options, loggerFactory, shared: null)
    {
    }

    /// <param name="options">As the public constructor.</param>
    /// <param name="loggerFactory">As the public constructor.</param>
    /// <param name="shared">
    /// Where the text encoders and VAE decoder come from when another variant's pipeline opened the same files (owned
    /// there, not disposed here); null to open every session of its own.
    /// </param>
    internal NitroPipeline(PipelineOptions options, ILoggerFactory? loggerFactory, SharedSessions? shared)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.EmbeddingCacheSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatch, 1);
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<NitroPipeline>();
        var loadClock = Stopwatch.StartNew();

        Folder = ModelFolder.Load(options.ModelDirectory);
        var manifest = Folder.Manifest;
        var problems = new List<ModelProblem>();
        var components = ModelComponents.TryLoad(Folder, problems);
        VaeDecoderLayout? decoder = Folder.VaeDecoder;
        if (options.UseTinyDecoder)
        {
            decoder = Folder.VaeDecoderTiny;
            if (decoder is null)
            {
                problems.Add(new ModelProblem(ModelFolder.VaeDecoderTinyPath, null,
                    "file not found (the tiny decoder was requested; expected a TAESD-style decoder with latent_sample -> sample)"));
            }
        }

        if (problems.Count > 0 || components is null || decoder is null)
        {
            throw new ModelValidationException(Folder.Directory, problems);
        }

        var draftDecoder = options.TinyDecoderForDrafts && !options.UseTinyDecoder ? Folder.VaeDecoderTiny : null;

        _tokenizer1 = components.Tokenizer1;
        _tokenizer2 = components.Tokenizer2;
        _schedules = components.Schedules;
        _providers = new ExecutionProviderSelector(options, loggerFactory.CreateLogger<ExecutionProviderSelector>());
        try
        {
            // The text encoders only ever run one prompt of the tokenizer's length (TextEncoderBuffers): fixing those
            // dimensions folds their shape arithmetic, about a tenth of their time on the embedded model's CPU run.
            _textEncoder1 = OpenShareable(ModelFolder.TextEncoderPath, shared, OnePrompt(Folder.TextEncoder.Graph, _tokenizer1.MaxLength));
            _textEncoder2 = OpenShareable(ModelFolder.TextEncoder2Path, shared, OnePrompt(Folder.TextEncoder2.Graph, _tokenizer2.MaxLength));
            _unet = Open(ModelFolder.UnetPath);
            _decoder = new DecoderStage(0, decoder, OpenShareable(decoder.Folder + "/model.onnx", shared));
            if (draftDecoder is not null)
            {
                _draftDecoder = new DecoderStage(1, draftDecoder, OpenShareable(draftDecoder.Folder + "/model.onnx", shared));
            }

            _decoders = _draftDecoder is null ? [_decoder] : [_decoder, _draftDecoder];
            _text = new TextEncoderBuffers(Folder, _tokenizer1.MaxLength, _textEncoder1, _textEncoder2);
            CheckUnetAgainstTextEncoders();
            if (options.KeepLatentsOnDevice ?? _providers.IsCuda)
            {
                _stepGraphs = new LatentStepGraphs(
                    Folder.Unet.SampleType, Folder.Unet.OutSampleType, _decoders.Select(d => d.Layout.LatentType), _providers.CreateSessionOptions);
                _deviceMemory = _providers.IsCuda
                    ? new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, options.DeviceId, OrtMemType.Default)
                    : OrtMemoryInfo.DefaultInstance;
            }
        }
        catch
        {
            _stepGraphs?.Dispose();
            _text?.Dispose();
            _uninterrupted.Dispose();
            DisposeSessions();
            throw;
        }

        _configureShapeSession = options.ConfigureShapeSession;
        _beforeDeviceBuffers = options.BeforeDeviceBuffers;
        _beforeShapeRun = options.BeforeShapeRun;
        _fixShapeDimensions = options.FixShapeDimensions;
        _resultBuffers = options.ResultBuffers;
        _shapeSessions = _stepGraphs is not null && (options.ForceShapeSessions || (options.UseCudaGraphs && _providers.IsCuda && !_providers.UsesTensorRt));
        if (options.UseCudaGraphs && !_shapeSessions)
        {
            var reason = !_providers.IsCuda ? "the provider is " + _providers.Provider
                : _providers.UsesTensorRt ? "TensorRT is on (CUDA graphs need every node on the CUDA provider)"
                : "latents are not kept on the device (KeepLatentsOnDevice is false)";
            Log.CudaGraphsUnavailable(_logger, reason);
        }

        _cache = new PromptEmbeddingCache(options.EmbeddingCacheSize);
        var maxBatch = Folder.Unet.FixedBatch == 1 || _decoders.Any(d => d.Layout.FixedBatch == 1) ? 1 : options.MaxBatch;
        Model = new ModelDescription(manifest.DisplayName, manifest.Variant, manifest.EmbeddedDemo, manifest.NativeWidth,
            manifest.NativeHeight, manifest.Sizes, manifest.SupportedSteps, manifest.ShiftedTimestep, maxBatch, _providers.Provider,
            manifest.License)
        {
            ExamplePrompts = manifest.ExamplePrompts,
            Vocabulary = manifest.Vocabulary,
            DraftsUseTinyDecoder = _draftDecoder is not null,
        };

        foreach (var stage in _decoders)
        {
            if (stage.Layout.Config.ForceUpcast && stage.Layout.LatentType == TensorElementType.Float16)
            {
                Log.Float16DecoderMayOverflow(_logger, stage.Layout.Folder);
            }
        }

        if (_providers.IsCuda && FusionAdvice.ForPortableUnet(Folder) is { } advice)
        {
            Log.PortableUnetOnCuda(_logger, Folder.Directory, advice);
        }

        // Last, so that a constructor that throws leaves no thread behind.
        _thread = new GeneratorThread("nitrolive-generator", options.StopTimeout);
        var decoders = _draftDecoder is null ? _decoder.Layout.Folder : $"{_decoder.Layout.Folder}, drafts {_draftDecoder.Layout.Folder}";
        Log.Loaded(_logger, manifest.DisplayName, Folder.Directory, _providers.Provider, maxBatch, decoders, loadClock.Elapsed.TotalMilliseconds);
    }

    /// <inheritdoc />
    public ModelDescription Model { get; }

    /// <summary>
    /// Problems loading what a validated folder needs besides ONNX sessions: both tokenizers, the scheduler config and a
    /// schedule for every supported step count. Empty when all load.
    /// </summary>
    public static IReadOnlyList<ModelProblem> CheckComponents(ModelFolder folder) => ModelComponents.Check(folder);

    /// <summary>The validated model folder.</summary>
    public ModelFolder Folder { get; }

    /// <summary>"CUDA" or "CPU".</summary>
    public string Provider => _providers.Provider;

    /// <summary>Why that provider (e.g. "CUDA unavailable: libcublasLt.so.12 not found").</summary>
    public string ProviderReason => _providers.Reason;

    /// <summary>Prompts whose embeddings are cached.</summary>
    public int CachedPrompts => _cache.Count;

    /// <inheritdoc />
    /// <remarks>
    /// Both tokenizers' ids up to their end token (what follows is padding, fixed by the length), on the calling thread
    /// (the tokenizers are thread-safe; tens of microseconds warm).
    /// </remarks>
    public string PromptKey(string prompt, string? variant = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var key = new StringBuilder(96);
        AppendIds(key, _tokenizer1, prompt);
        key.Append('|');
        AppendIds(key, _tokenizer2, prompt);
        return key.ToString();
    }

    private static void AppendIds(StringBuilder key, ClipTokenizer tokenizer, string prompt)
    {
        Span<long> ids = stackalloc long[tokenizer.MaxLength];
        tokenizer.Encode(prompt, ids);
        for (var i = 0; i < ids.Length; i++)
        {
            key.Append(CultureInfo.InvariantCulture, $"{ids[i]} ");
            if (i > 0 && ids[i] == tokenizer.EosId)
            {
                break;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>The run happens on the pipeline's own thread, never on a thread-pool thread (see <see cref="GeneratorThread"/>).</remarks>
    public Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken) =>
        _thread.Run(() => Generate(requests, cancellationToken), cancellationToken);

    /// <summary>
    /// Runs generations of each size (in order) so that later requests of those sizes find warm sessions and buffers:
    /// one per size, or <see cref="CudaGraphWarmUpRuns"/> with CUDA graphs, whose capture happens on a later run than
    /// the first; and one draft per size when drafts have a decoder of their own.
    /// </summary>
    public async Task WarmUpAsync(IEnumerable<(int Width, int Height)> sizes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        var runs = _shapeSessions ? CudaGraphWarmUpRuns : 1;
        foreach (var (width, height) in sizes)
        {
            var clock = Stopwatch.StartNew();
            for (var run = 0; run < runs; run++)
            {
                await GenerateAsync([new GenerationRequest(string.Empty, Model.SupportedSteps.Min(), 0, width, height)], cancellationToken);
            }

            if (_draftDecoder is not null)
            {
                await GenerateAsync([new GenerationRequest(string.Empty, Model.SupportedSteps.Min(), 0, width, height) { Draft = true }], cancellationToken);
            }

            Log.WarmedUp(_logger, width, height, clock.Elapsed.TotalMilliseconds);
        }
    }

    /// <summary>
    /// Warm-up generations per size with CUDA graphs: ONNX Runtime runs a graph-enabled session normally first (to settle
    /// its memory), captures on a following run and replays after that, so three runs leave the first keystroke a replay.
    /// </summary>
    internal const int CudaGraphWarmUpRuns = 3;

    /// <summary>The synchronous core of <see cref="GenerateAsync"/>, on the calling thread.</summary>
    /// <exception cref="ArgumentException">
    /// The batch is empty, too large, mixes sizes or steps, or asks for an unsupported size, step count or another variant.
    /// </exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; ONNX Runtime was told to stop.</exception>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken) =>
        Generate(requests, blend: null, cancellationToken);

    /// <summary>
    /// <see cref="Generate(IReadOnlyList{GenerationRequest}, CancellationToken)"/> with every request's prompt embeddings
    /// blended towards <paramref name="blend"/>'s prompt: the measurement of smooth transitions between consecutive
    /// prompts (<c>nitrolive eval-transitions</c>, docs/engine.md), not a product path.
    /// </summary>
    internal IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> requests, PromptBlend? blend, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var schedule = Validate(requests);
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            throw new InvalidOperationException("NitroPipeline runs one generation at a time; the caller must serialize calls.");
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var runOptions = new RunOptions();
            using var registration = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
            try
            {
                return Run(requests, schedule, blend, runOptions, cancellationToken);
            }
            catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
            {
                Log.Cancelled(_logger, requests.Count);
                throw new OperationCanceledException("The generation was cancelled.", cancellationToken);
            }
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>
    /// True once <see cref="Dispose"/> left the sessions open to a run that outlasted it; sessions it shares with other
    /// pipelines (<see cref="VariantGenerator"/>) must then be left open too.
    /// </summary>
    internal bool LeftSessionsInUse { get; private set; }

    /// <summary>Closes every session.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_thread.Stop())
        {
            // A run that would not stop still uses the sessions and buffers: freeing them under it could crash the
            // process. They go with the process, which is ending when a pipeline is disposed.
            Log.RunOutlivedDispose(_logger);
            LeftSessionsInUse = true;
            return;
        }

        foreach (var set in _bufferSets)
        {
            set.Dispose();
        }

        _bufferSets.Clear();
        _text?.Dispose();
        _stepGraphs?.Dispose();
        _uploads?.Dispose();
        _uninterrupted.Dispose();
        if (_deviceMemory is not null && !ReferenceEquals(_deviceMemory, OrtMemoryInfo.DefaultInstance))
        {
            _deviceMemory.Dispose();
        }

        DisposeSessions();
    }

    /// <summary>True when latents stay in device memory between the models (see <see cref="PipelineOptions.KeepLatentsOnDevice"/>).</summary>
    public bool KeepsLatentsOnDevice => _stepGraphs is not null;

    /// <summary>
    /// A prompt's embeddings from the cache, or tokenized and encoded (into the arrays of the entry a full cache evicts,
    /// never one of <paramref name="inUse"/>) and cached; the time each stage took is added to the counters.
    /// </summary>
    private PromptEmbedding EmbeddingOf(
        string prompt, PromptEmbedding?[] inUse, RunOptions runOptions, ref double tokenizeMs, ref double encodeMs, out bool hit)
    {
        hit = _cache.TryGet(prompt, out var cached);
        if (hit)
        {
            return cached;
        }

        var clock = Stopwatch.StartNew();
        _text.Tokenize(prompt, _tokenizer1, _tokenizer2);
        tokenizeMs += clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        var embedding = _text.Encode(_textEncoder1, _textEncoder2, runOptions, _cache.TakeOldestIfFull(inUse));
        encodeMs += clock.Elapsed.TotalMilliseconds;
        _cache.Add(prompt, embedding);
        return embedding;
    }

    private GenerationResult[] Run(
        IReadOnlyList<GenerationRequest> requests, LcmSchedule schedule, PromptBlend? blend, RunOptions runOptions, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var first = requests[0];
        var batch = requests.Count;

        // Text: cached per prompt; only misses are tokenized and encoded (one prompt at a time, batch 1).
        var embeddings = new PromptEmbedding?[batch];
        var hits = new bool[batch];
        var tokenizeMs = new double[batch];
        var encodeMs = new double[batch];
        for (var i = 0; i < batch; i++)
        {
            embeddings[i] = EmbeddingOf(requests[i].Prompt, embeddings, runOptions, ref tokenizeMs[i], ref encodeMs[i], out hits[i]);
            if (!hits[i])
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        if (blend is not null)
        {
            // The blend's own encoding is not the request's text cost: timed apart and left out.
            double blendTokenizeMs = 0, blendEncodeMs = 0;
            var other = EmbeddingOf(blend.Prompt, embeddings, runOptions, ref blendTokenizeMs, ref blendEncodeMs, out _);

            // New arrays: the cache's entries stay the prompts' own embeddings.
            for (var i = 0; i < batch; i++)
            {
                embeddings[i] = embeddings[i]!.Lerp(other, blend.Weight);
            }
        }

        var set = BuffersFor(batch, first.Width, first.Height);
        set.SetConditioning(embeddings!, first.Width, first.Height);

        // Noise: each image has its own stream, so a batch gives the same images as the same requests one by one.
        var noise = new GaussianNoise[batch];
        for (var i = 0; i < batch; i++)
        {
            noise[i] = new GaussianNoise(requests[i].Seed);
        }

        // ONNX Runtime looks at Terminate between nodes only, so a cancel that lands in a model's last node lets its run
        // finish: the token is checked after every run as well (after the decoder's too), and a cancelled generation
        // never hands back a result.
        var decoder = first.Draft && _draftDecoder is { } draft ? draft : _decoder;
        var decoderBuffers = set.Decoders[decoder.Index];
        var outputRange = decoder.Layout.Config.OutputRange;
        var stepMs = new double[schedule.Count];
        double decodeMs;
        byte[][] rgbs;
        if (set.Device is { } device)
        {
            DrawNoise(noise, device.Noise, set.LatentElementsPerImage); // × init_noise_sigma, which is 1.0 for LCM
            device.Start(runOptions);
            for (var step = 0; step < schedule.Count; step++)
            {
                var clock = Stopwatch.StartNew();
                set.Timestep.Fill(schedule.UnetTimesteps[step]);
                RunUnet(set, device, uploadConditioning: step == 0, runOptions);
                cancellationToken.ThrowIfCancellationRequested();
                if (schedule.NeedsNoise(step))
                {
                    DrawNoise(noise, device.Noise, set.LatentElementsPerImage);
                }

                device.Step(schedule, step, decoder, runOptions);
                stepMs[step] = clock.Elapsed.TotalMilliseconds;
            }

            var decodeClock = Stopwatch.StartNew();
            device.Decode(decoder, runOptions);
            cancellationToken.ThrowIfCancellationRequested();
            rgbs = decoderBuffers.ToRgb(outputRange, _resultBuffers);
            decodeMs = decodeClock.Elapsed.TotalMilliseconds;
        }
        else
        {
            DrawNoise(noise, set.Latents, set.LatentElementsPerImage); // × init_noise_sigma, which is 1.0 for LCM
            for (var step = 0; step < schedule.Count; step++)
            {
                var clock = Stopwatch.StartNew();
                set.Sample.WriteFloats(0, set.Latents);
                set.Timestep.Fill(schedule.UnetTimesteps[step]);
                _unet.Run(runOptions, set.UnetInputNames, set.UnetInputs, set.UnetOutputNames, set.UnetOutputs);
                cancellationToken.ThrowIfCancellationRequested();

                ReadOnlySpan<float> eps;
                if (set.OutSample.ElementType == TensorElementType.Float)
                {
                    eps = set.OutSample.As<float>();
                }
                else
                {
                    set.OutSample.ReadFloats(0, set.Scratch);
                    eps = set.Scratch;
                }

                ReadOnlySpan<float> stepNoise = default;
                if (schedule.NeedsNoise(step))
                {
                    DrawNoise(noise, set.Noise, set.LatentElementsPerImage);
                    stepNoise = set.Noise;
                }

                schedule.Step(step, eps, set.Latents, stepNoise, set.Latents);
                stepMs[step] = clock.Elapsed.TotalMilliseconds;
            }

            var decodeClock = Stopwatch.StartNew();
            var scaled = set.Scratch.AsSpan();
            var (scale, shift) = (decoder.Scale, decoder.Shift);
            for (var j = 0; j < scaled.Length; j++)
            {
                scaled[j] = (set.Latents[j] * scale) + shift;
            }

            decoderBuffers.In.WriteFloats(0, scaled);
            decoder.Session.Run(runOptions, decoderBuffers.InputNames, decoderBuffers.Inputs, decoderBuffers.OutputNames, decoderBuffers.Outputs);
            cancellationToken.ThrowIfCancellationRequested();
            rgbs = decoderBuffers.ToRgb(outputRange, _resultBuffers);
            decodeMs = decodeClock.Elapsed.TotalMilliseconds;
        }

        var totalMs = total.Elapsed.TotalMilliseconds;
        var results = new GenerationResult[batch];
        for (var i = 0; i < batch; i++)
        {
            var timings = new StageTimings(tokenizeMs[i], encodeMs[i], hits[i], stepMs, decodeMs, totalMs, _providers.Provider, ReferenceEquals(decoder, _draftDecoder));
            results[i] = new GenerationResult(requests[i], rgbs[i], first.Width, first.Height, timings);
        }

        Log.Generated(_logger, batch, first.Width, first.Height, schedule.Count, totalMs);
        return results;
    }

    /// <summary>
    /// One UNet run on the device latents: on the shape's own session when it has one, which on any ONNX Runtime error
    /// (other than a cancel) is dropped for the shared session, so a shape that cannot be captured still generates.
    /// </summary>
    private void RunUnet(BufferSet set, DeviceLatents device, bool uploadConditioning, RunOptions runOptions)
    {
        if (device.Shape is { } shape)
        {
            try
            {
                if (uploadConditioning)
                {
                    shape.UploadConditioning(runOptions);
                }

                // ONNX Runtime captures a CUDA graph during a shape's first runs and ends the capture when the run
                // ends, also when Terminate stopped it part way: the graph replayed from then on would be a partial UNet,
                // silently. So those runs are not interrupted; the caller checks the token right after them.
                _beforeShapeRun?.Invoke();
                shape.Run(shape.Runs < CudaGraphWarmUpRuns ? _uninterrupted : runOptions);
                return;
            }
            catch (OnnxRuntimeException ex) when (!runOptions.Terminate)
            {
                Log.ShapeSessionFailed(_logger, set.Batch, set.Width, set.Height, shape.Runs, FirstLine(ex.Message));
                device.DropShapeSession();
            }
        }

        device.RunUnet(_unet, runOptions);
    }

    private void AttachShapeSession(BufferSet set, DeviceLatents device)
    {
        var clock = Stopwatch.StartNew();
        InferenceSession? session = null;
        try
        {
            var dimensions = _fixShapeDimensions
                ? Folder.Unet.Graph.FreeDimensions(set.UnetShapes())
                : new Dictionary<string, long>();
            using (var options = _providers.CreateSessionOptions(cudaGraph: _providers.IsCuda))
            {
                _configureShapeSession?.Invoke(options);
                foreach (var (name, value) in dimensions)
                {
                    options.AddFreeDimensionOverrideByName(name, value);
                }

                session = new InferenceSession(Folder.PathOf(ModelFolder.UnetPath), options);
            }

            _uploads ??= new UnetUploadGraphs(Folder.Unet, _providers.CreateSessionOptions);
            var opened = session;
            session = null;
            device.AttachShapeSession(opened, _uploads);
            var fixedDimensions = string.Join(", ", dimensions.Select(d => d.Key + "=" + d.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Log.ShapeSessionOpened(_logger, set.Batch, set.Width, set.Height, fixedDimensions, clock.Elapsed.TotalMilliseconds);
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or InvalidOperationException)
        {
            session?.Dispose();
            Log.ShapeSessionUnavailable(_logger, set.Batch, set.Width, set.Height, FirstLine(ex.Message));
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    /// <summary>
    /// True when generations of this shape run their UNet on a session of its own (with <see cref="PipelineOptions.UseCudaGraphs"/>
    /// on CUDA: the captured graph); false before the shape's first generation, after it left the cache, or after a fallback.
    /// Call between generations.
    /// </summary>
    public bool HasUnetShapeSession(int batch, int width, int height) => ShapeSessionFor(batch, width, height) is { IsDisposed: false };

    /// <summary>The per-shape UNet session of a cached buffer set, or null (for tests).</summary>
    internal UnetShapeSession? ShapeSessionFor(int batch, int width, int height) =>
        _bufferSets.FirstOrDefault(s => s.Batch == batch && s.Width == width && s.Height == height)?.Device?.Shape;

    /// <summary>The cached text-encoder outputs of <paramref name="prompt"/> (for tests).</summary>
    internal bool TryGetCachedEmbedding(string prompt, out PromptEmbedding embedding) => _cache.TryGet(prompt, out embedding);

    /// <summary>For tests: the input_ids shape each text encoder session was compiled for (-1 for a dimension left free).</summary>
    internal (int[] First, int[] Second) TextEncoderInputShapes() =>
        (_textEncoder1.InputMetadata["input_ids"].Dimensions, _textEncoder2.InputMetadata["input_ids"].Dimensions);

    private static void DrawNoise(GaussianNoise[] streams, Span<float> destination, int perImage)
    {
        for (var i = 0; i < streams.Length; i++)
        {
            streams[i].Fill(destination.Slice(i * perImage, perImage));
        }
    }

    private LcmSchedule Validate(IReadOnlyList<GenerationRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0)
        {
            throw new ArgumentException("At least one request is needed.", nameof(requests));
        }

        if (requests.Count > Model.MaxBatch)
        {
            throw new ArgumentException($"{requests.Count} requests exceed the batch limit of {Model.MaxBatch}.", nameof(requests));
        }

        var first = requests[0] ?? throw new ArgumentException("A request is null.", nameof(requests));
        foreach (var r in requests)
        {
            if (r is null || r.Prompt is null)
            {
                throw new ArgumentException("A request or its prompt is null.", nameof(requests));
            }

            if (r.Width != first.Width || r.Height != first.Height || r.Steps != first.Steps || r.Draft != first.Draft)
            {
                throw new ArgumentException("All requests in a batch must share width, height, steps and Draft.", nameof(requests));
            }

            if (r.Variant is not null && !string.Equals(r.Variant, Model.Variant, StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"The variant '{r.Variant}' is not this model's: this pipeline runs '{Model.Variant}' only.", nameof(requests));
            }
        }

        var f = Folder.VaeScaleFactor;
        if (first.Width < f || first.Height < f || first.Width > ModelFolder.MaxImageSide || first.Height > ModelFolder.MaxImageSide || first.Width % f != 0 || first.Height % f != 0)
        {
            throw new ArgumentException(
                $"Size {first.Width}x{first.Height} is not supported: width and height must be multiples of {f} from {f} to {ModelFolder.MaxImageSide}.", nameof(requests));
        }

        if ((Folder.Unet.FixedLatentWidth is { } fw && fw * f != first.Width) || (Folder.Unet.FixedLatentHeight is { } fh && fh * f != first.Height))
        {
            throw new ArgumentException(
                $"Size {first.Width}x{first.Height} is not supported: this UNet is exported for {Folder.Unet.FixedLatentWidth * f}x{Folder.Unet.FixedLatentHeight * f} only.",
                nameof(requests));
        }

        if (!_schedules.TryGetValue(first.Steps, out var schedule))
        {
            throw new ArgumentException(
                $"{first.Steps} steps are not supported: this model takes {string.Join(", ", _schedules.Keys.Order())}.", nameof(requests));
        }

        return schedule;
    }

    private BufferSet BuffersFor(int batch, int width, int height)
    {
        for (var node = _bufferSets.First; node is not null; node = node.Next)
        {
            var candidate = node.Value;
            if (candidate.Batch == batch && candidate.Width == width && candidate.Height == height)
            {
                _bufferSets.Remove(node);
                _bufferSets.AddFirst(node);
                return candidate;
            }
        }

        if (_bufferSets.Count >= MaxBufferSets && _bufferSets.Last is { } oldest)
        {
            _bufferSets.RemoveLast();
            oldest.Value.Dispose();
        }

        var set = new BufferSet(Folder, [.. _decoders.Select(d => d.Layout)], _text, batch, width, height);
        if (_stepGraphs is not null)
        {
            try
            {
                _beforeDeviceBuffers?.Invoke(batch, width, height);
                set.Device = new DeviceLatents(set, _stepGraphs, _unet, _decoders, _deviceMemory!);
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or OutOfMemoryException)
            {
                // A provider that cannot hand out device buffers (or a device out of memory for this shape) still runs
                // the host loop correctly. Only this shape goes without: the step graphs stay, since the shapes already
                // cached are bound to them, and a later shape may fit.
                Log.DeviceLatentsUnavailable(_logger, _providers.Provider, batch, width, height, FirstLine(ex.Message));
            }
        }

        if (_shapeSessions && set.Device is { } device)
        {
            AttachShapeSession(set, device);
        }

        _bufferSets.AddFirst(set);
        Log.BuffersAllocated(_logger, batch, width, height);
        return set;
    }

    private void CheckUnetAgainstTextEncoders()
    {
        var unet = Folder.Unet.Graph;
        var problems = new List<ModelProblem>();
        if (unet.Input("encoder_hidden_states")?.FixedDim(2) is { } width && width != _text.HiddenWidth)
        {
            problems.Add(new ModelProblem(ModelFolder.UnetPath, "encoder_hidden_states",
                $"input 'encoder_hidden_states' has width {width}, but the text encoders produce {_text.Width1} + {_text.Width2} = {_text.HiddenWidth}"));
        }

        if (unet.Input("text_embeds")?.FixedDim(1) is { } pooled && pooled != _text.PooledWidth)
        {
            problems.Add(new ModelProblem(ModelFolder.UnetPath, "text_embeds",
                $"input 'text_embeds' has width {pooled}, but text_encoder_2 produces {_text.PooledWidth}"));
        }

        if (problems.Count > 0)
        {
            throw new ModelValidationException(Folder.Directory, problems);
        }
    }

    private static IReadOnlyDictionary<string, long> OnePrompt(OnnxGraphSignature graph, int tokens) =>
        graph.FreeDimensions(new Dictionary<string, long[]> { ["input_ids"] = [1, tokens] });

    private InferenceSession Open(string relativePath, IReadOnlyDictionary<string, long>? fixedDimensions = null)
    {
        var session = ModelSessions.Open(Folder, relativePath, _providers, fixedDimensions);
        _sessions.Add(session);
        return session;
    }

    private InferenceSession OpenShareable(string relativePath, SharedSessions? shared, IReadOnlyDictionary<string, long>? fixedDimensions = null)
    {
        if (shared is null)
        {
            return Open(relativePath, fixedDimensions);
        }

        var session = shared.GetOrOpen(Folder, relativePath, () => ModelSessions.Open(Folder, relativePath, _providers, fixedDimensions), out var sharedFrom);
        if (sharedFrom is not null)
        {
            Log.SessionShared(_logger, relativePath, Folder.Directory, sharedFrom);
        }

        return session;
    }

    private void DisposeSessions()
    {
        foreach (var session in _sessions)
        {
            session.Dispose();
        }

        _sessions.Clear();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1101, Level = LogLevel.Information,
            Message = "Loaded model {DisplayName} from {Directory} on {Provider} (max batch {MaxBatch}, decoder {Decoder}) in {ElapsedMs:F0} ms")]
        public static partial void Loaded(ILogger logger, string displayName, string directory, string provider, int maxBatch, string decoder, double elapsedMs);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "Generated {Batch} image(s) of {Width}x{Height} in {Steps} step(s): {TotalMs:F1} ms")]
        public static partial void Generated(ILogger logger, int batch, int width, int height, int steps, double totalMs);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Debug, Message = "Allocated model buffers for batch {Batch} at {Width}x{Height}")]
        public static partial void BuffersAllocated(ILogger logger, int batch, int width, int height);

        [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "Warmed up {Width}x{Height} in {ElapsedMs:F0} ms")]
        public static partial void WarmedUp(ILogger logger, int width, int height, double elapsedMs);

        [LoggerMessage(EventId = 1105, Level = LogLevel.Debug, Message = "Generation of {Batch} request(s) cancelled")]
        public static partial void Cancelled(ILogger logger, int batch);

        [LoggerMessage(EventId = 1107, Level = LogLevel.Warning,
            Message = "Cannot keep latents of batch {Batch} at {Width}x{Height} in {Provider} device memory ({Reason}); that shape's latents go through host memory between models")]
        public static partial void DeviceLatentsUnavailable(ILogger logger, string provider, int batch, int width, int height, string reason);

        [LoggerMessage(EventId = 1108, Level = LogLevel.Warning,
            Message = "CUDA graphs were requested (UseCudaGraphs) but are off: {Reason}")]
        public static partial void CudaGraphsUnavailable(ILogger logger, string reason);

        [LoggerMessage(EventId = 1109, Level = LogLevel.Information,
            Message = "Opened the UNet session for batch {Batch} at {Width}x{Height} ({Dimensions}) in {ElapsedMs:F0} ms")]
        public static partial void ShapeSessionOpened(ILogger logger, int batch, int width, int height, string dimensions, double elapsedMs);

        [LoggerMessage(EventId = 1110, Level = LogLevel.Warning,
            Message = "Cannot open a UNet session of its own (CUDA graphs) for batch {Batch} at {Width}x{Height} ({Reason}); that shape runs on the shared UNet session")]
        public static partial void ShapeSessionUnavailable(ILogger logger, int batch, int width, int height, string reason);

        [LoggerMessage(EventId = 1111, Level = LogLevel.Warning,
            Message = "The UNet session of its own (CUDA graphs) for batch {Batch} at {Width}x{Height} failed after {Runs} run(s) ({Reason}); that shape runs on the shared UNet session from now on")]
        public static partial void ShapeSessionFailed(ILogger logger, int batch, int width, int height, int runs, string reason);

        [LoggerMessage(EventId = 1112, Level = LogLevel.Information,
            Message = "{Model} of {Directory} runs on the session opened for {SharedFrom}: same files")]
        public static partial void SessionShared(ILogger logger, string model, string directory, string sharedFrom);

        [LoggerMessage(EventId = 1115, Level = LogLevel.Warning,
            Message = "A generation did not end within 30 s of the pipeline's disposal: its ONNX Runtime sessions are left for the process's end")]
        public static partial void RunOutlivedDispose(ILogger logger);

        [LoggerMessage(EventId = 1114, Level = LogLevel.Information, Message = "{Directory}: {Advice}")]
        public static partial void PortableUnetOnCuda(ILogger logger, string directory, string advice);

        [LoggerMessage(EventId = 1106, Level = LogLevel.Warning,
            Message = "{Decoder} is float16 and its config sets force_upcast: SDXL's VAE overflows in float16 (black or NaN images); use the fp16-fix VAE, a float32 export, or the tiny decoder")]
        public static partial void Float16DecoderMayOverflow(ILogger logger, string decoder);
    }
}
