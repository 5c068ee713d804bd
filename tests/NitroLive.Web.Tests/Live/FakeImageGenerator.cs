using System.Collections.Concurrent;
using System.Threading.Channels;
using NitroLive.Core.Pipeline;

namespace NitroLive.Web.Tests.Live;

/// <summary>
/// A test double of the engine: a flat colour per (prompt, seed), a configurable delay, an optional gate that holds
/// every call until the test releases it, and failure on demand. Records every call and the most calls seen at once.
/// </summary>
internal sealed class FakeImageGenerator : IImageGenerator
{
    private readonly Channel<IReadOnlyList<GenerationRequest>> _started = Channel.CreateUnbounded<IReadOnlyList<GenerationRequest>>();
    private int _active;
    private int _maxActive;
    private int _cancelled;

    /// <param name="maxBatch">The model's batch limit.</param>
    /// <param name="delay">How long each call takes.</param>
    /// <param name="variants">Variant names the model offers, the default first (null: just "tiny").</param>
    /// <param name="concurrency">How many calls the fake says it runs at once (as a pool of instances would).</param>
    /// <param name="tinyDraftDecoder">Whether the model says drafts decode with a tiny decoder (a draft's picture is then darker).</param>
    public FakeImageGenerator(int maxBatch = 1, TimeSpan? delay = null, IReadOnlyList<string>? variants = null, int concurrency = 1, bool tinyDraftDecoder = false)
    {
        Delay = delay ?? TimeSpan.Zero;
        Concurrency = concurrency;
        Model = new ModelDescription(
            "Fake test model",
            "tiny",
            IsEmbeddedDemo: true,
            NativeWidth: 64,
            NativeHeight: 64,
            Sizes: [(64, 64), (128, 64), (512, 512)],
            SupportedSteps: [1, 2, 3, 4],
            ShiftedTimestep: 250,
            MaxBatch: maxBatch,
            Provider: "Fake",
            License: "test")
        {
            DraftsUseTinyDecoder = tinyDraftDecoder,
        };
        if (variants is { Count: > 0 })
        {
            Model = Model with
            {
                Variant = variants[0],
                Variants = [.. variants.Select(v => new ModelVariantDescription(v, "Fake " + v, false, 250, "test")
                {
                    ExamplePrompts = [$"a {v} example", $"a {v} example longer than most prompts"],
                    DraftsUseTinyDecoder = tinyDraftDecoder,
                })],
            };
        }
    }

    public ModelDescription Model { get; }

    public int Concurrency { get; }

    public TimeSpan Delay { get; set; }

    /// <summary>The pixels of the image rendered last, the very array handed out in its result.</summary>
    public byte[]? LastRgb { get; private set; }

    /// <summary>When set, each call waits for one release before it proceeds.</summary>
    public SemaphoreSlim? Gate { get; set; }

    /// <summary>When set, how long a call of drafts takes instead of <see cref="Delay"/>.</summary>
    public TimeSpan? DraftDelay { get; set; }

    /// <summary>Whether a call of drafts throws (after its delay).</summary>
    public bool FailDrafts { get; set; }

    /// <summary>Requests whose prompt contains this text make the call throw.</summary>
    public string FailOn { get; set; } = "boom";

    /// <summary>Requests whose prompt contains this text get a result without pixels, breaking the generator's contract.</summary>
    public string NoPixelsOn { get; set; } = "no pixels";

    /// <summary>Fill frames with per-pixel noise (so JPEGs are large) instead of a flat colour.</summary>
    public bool Noisy { get; set; }

    /// <summary>When set, how the fake model reads a prompt (as a real model's tokenizers do); otherwise as typed.</summary>
    public Func<string, string>? KeyRule { get; set; }

    public ConcurrentQueue<IReadOnlyList<GenerationRequest>> Calls { get; } = new();

    public ConcurrentQueue<DateTime> CallStarts { get; } = new();

    public int MaxConcurrentCalls => Volatile.Read(ref _maxActive);

    public int CancelledCalls => Volatile.Read(ref _cancelled);

    /// <summary>Every call's requests, in the order calls started, after the warm-up.</summary>
    public IEnumerable<GenerationRequest> GeneratedRequests => Calls.SelectMany(c => c).Where(r => r.Prompt != "warm-up");

    /// <summary>Waits for the next call (after the warm-up) to start.</summary>
    public async Task<IReadOnlyList<GenerationRequest>> NextCallAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var call = await _started.Reader.ReadAsync(cts.Token);
            if (call.Count != 1 || call[0].Prompt != "warm-up")
            {
                return call;
            }
        }
    }

    public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken)
    {
        var active = Interlocked.Increment(ref _active);
        InterlockedMax(ref _maxActive, active);
        try
        {
            if (requests.Count > Model.MaxBatch)
            {
                throw new InvalidOperationException($"Batch of {requests.Count} exceeds MaxBatch {Model.MaxBatch}.");
            }

            if (requests.Select(r => (r.Steps, r.Width, r.Height, r.Variant, r.Draft)).Distinct().Count() != 1)
            {
                throw new InvalidOperationException("A batch mixed shapes, variants or drafts.");
            }

            CallStarts.Enqueue(DateTime.UtcNow);
            Calls.Enqueue(requests);
            _started.Writer.TryWrite(requests);
            try
            {
                var warmUp = requests is [{ Prompt: "warm-up" }];
                if (Gate is { } gate && !warmUp)
                {
                    await gate.WaitAsync(cancellationToken);
                }

                var delay = requests[0].Draft && DraftDelay is { } draftDelay ? draftDelay : Delay;
                if (delay > TimeSpan.Zero && !warmUp)
                {
                    await Task.Delay(delay, cancellationToken);
                }

                cancellationToken.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                throw;
            }

            if (requests.Any(r => r.Prompt.Contains(FailOn, StringComparison.Ordinal)) || (FailDrafts && requests[0].Draft && requests[0].Prompt != "warm-up"))
            {
                throw new InvalidOperationException("The fake generator was told to fail.");
            }

            return requests.Select(Render).ToArray();
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    public string PromptKey(string prompt, string? variant = null) => KeyRule?.Invoke(prompt) ?? prompt;

    public static (byte R, byte G, byte B) ColorOf(string prompt, long seed)
    {
        var hash = 2166136261u;
        foreach (var c in prompt + "|" + seed.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            hash = (hash ^ c) * 16777619u;
        }

        return ((byte)hash, (byte)(hash >> 8), (byte)(hash >> 16));
    }

    private GenerationResult Render(GenerationRequest request)
    {
        var rgb = new byte[request.Width * request.Height * 3];
        var (r, g, b) = ColorOf(request.Prompt, request.Seed);
        var tiny = request.Draft && Model.DraftsUseTinyDecoder;
        if (tiny)
        {
            (r, g, b) = ((byte)(r / 2), (byte)(g / 2), (byte)(b / 2));
        }
        if (Noisy)
        {
            Random.Shared.NextBytes(rgb);
        }
        else
        {
            for (var i = 0; i < rgb.Length; i += 3)
            {
                rgb[i] = r;
                rgb[i + 1] = g;
                rgb[i + 2] = b;
            }
        }

        var timings = new StageTimings(0.1, 1, false, Enumerable.Repeat(Delay.TotalMilliseconds / request.Steps, request.Steps).ToArray(), 0.5, Delay.TotalMilliseconds, "Fake", tiny);
        LastRgb = rgb;
        return new GenerationResult(request, request.Prompt.Contains(NoPixelsOn, StringComparison.Ordinal) ? null! : rgb, request.Width, request.Height, timings);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
