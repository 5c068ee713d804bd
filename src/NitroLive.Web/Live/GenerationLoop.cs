using System.Threading.Channels;
using Microsoft.Extensions.Options;
using NitroLive.Core.Pipeline;

namespace NitroLive.Web.Live;

/// <summary>
/// The single owner of the generator. Two kinds of stage run side by side: a generate stage takes sessions
/// round-robin (each session's newest request only, equal shapes batched) and runs the generator; the encode stage
/// turns the previous results into frames and fans them out meanwhile. There is one generate stage per call the
/// generator runs at once (<see cref="IImageGenerator.Concurrency"/>: 1, or one per instance of a
/// <see cref="GeneratorPool"/>). A channel with one slot per generate stage lets each start its next batch while its
/// last is encoded, and no further: the encoder can never fall behind by more than one batch per stage.
/// </summary>
internal sealed class GenerationLoop : BackgroundService
{
    private readonly IImageGenerator _generator;
    private readonly ReadyQueue _ready;
    private readonly IFrameEncoder _encoder;
    private readonly RgbBufferPool _resultBuffers;
    private readonly FrameCache _frames;
    private readonly LiveReadiness _readiness;
    private readonly LiveStats _stats;
    private readonly TimeProvider _time;
    private readonly LiveOptions _options;
    private readonly ILogger<GenerationLoop> _logger;
    private readonly int _maxBatch;
    private readonly int _generateStages;

    public GenerationLoop(
        IImageGenerator generator,
        ReadyQueue ready,
        IFrameEncoder encoder,
        RgbBufferPool resultBuffers,
        FrameCache frames,
        LiveReadiness readiness,
        LiveStats stats,
        TimeProvider time,
        IOptions<LiveOptions> options,
        ILogger<GenerationLoop> logger)
    {
        _generator = generator;
        _ready = ready;
        _encoder = encoder;
        _resultBuffers = resultBuffers;
        _frames = frames;
        _readiness = readiness;
        _stats = stats;
        _time = time;
        _options = options.Value;
        _logger = logger;
        var batching = _options.EnableBatching && (_options.BatchOnCpu || !string.Equals(generator.Model.Provider, "CPU", StringComparison.OrdinalIgnoreCase));
        _maxBatch = batching ? Math.Max(1, Math.Min(_options.MaxBatch, generator.Model.MaxBatch)) : 1;
        _generateStages = Math.Max(1, generator.Concurrency);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Model warm-up is long and may run synchronously inside the generator: never on the host's start path.
        await Task.Yield();
        await WarmUpAsync(stoppingToken);
        LiveLog.LoopStarted(_logger, _maxBatch > 1, _maxBatch);

        var handoff = Channel.CreateBounded<GeneratedBatch>(new BoundedChannelOptions(_generateStages)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = _generateStages == 1,
        });

        // A stage that fails stops its siblings, so the loop fails as a whole (as one stage alone would) instead of
        // serving on at reduced strength, or not at all behind a full hand-over, with the error unseen until shutdown.
        using var stages = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var encodeStage = StopsSiblingsOnFailure(() => EncodeStageAsync(handoff.Reader, stoppingToken), stages);
        try
        {
            var generateStages = new Task[_generateStages];
            for (var i = 0; i < generateStages.Length; i++)
            {
                generateStages[i] = StopsSiblingsOnFailure(() => GenerateStageAsync(handoff.Writer, stages.Token), stages);
            }

            await Task.WhenAll(generateStages);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            handoff.Writer.TryComplete();
            await encodeStage;
            LiveLog.LoopStopped(_logger);
        }
    }

    /// <summary>
    /// One generation per variant and supported size, so the first real request of each finds warm sessions and buffers;
    /// and one draft where drafts have a decoder of their own, so the first keystroke's draft is warm too.
    /// </summary>
    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var model = _generator.Model;
        var sizes = model.Sizes.Count > 0 ? model.Sizes : [(model.NativeWidth, model.NativeHeight)];
        var steps = model.SupportedSteps.Count > 0 ? model.SupportedSteps.Min() : 1;
        var start = _time.GetTimestamp();
        try
        {
            var provider = model.Provider;
            foreach (var variant in model.Variants)
            {
                bool[] drafts = variant.DraftsUseTinyDecoder ? [false, true] : [false];
                foreach (var ((width, height), draft) in sizes.SelectMany(size => drafts.Select(draft => (size, draft))))
                {
                    // As many calls at once as the generator runs, so each parallel instance warms up.
                    var calls = new Task<IReadOnlyList<GenerationResult>>[_generateStages];
                    for (var i = 0; i < calls.Length; i++)
                    {
                        calls[i] = _generator.GenerateAsync(
                            [new GenerationRequest("warm-up", steps, 0, width, height, variant.Name) { Draft = draft }], cancellationToken);
                    }

                    var results = await Task.WhenAll(calls);
                    provider = results[0].Count > 0 ? results[0][0].Timings.Provider : provider;
                }
            }

            var elapsed = _time.GetElapsedTime(start).TotalMilliseconds;
            _readiness.MarkReady(provider, elapsed);
            LiveLog.WarmedUp(_logger, model.DisplayName, model.Variant, provider, elapsed, model.MaxBatch);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Keep serving: the failure shows on /readyz and in every session's state, and a transient fault may pass.
            _readiness.MarkFailed(model.Provider, ex.Message);
            LiveLog.WarmUpFailed(_logger, ex, model.DisplayName, model.Provider);
        }
    }

    /// <summary>Runs one stage; when it fails, cancels <paramref name="stages"/> so the other stages stop too.</summary>
    private static async Task StopsSiblingsOnFailure(Func<Task> stage, CancellationTokenSource stages)
    {
        try
        {
            await stage();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await stages.CancelAsync();
            throw;
        }
    }

    private async Task GenerateStageAsync(ChannelWriter<GeneratedBatch> handoff, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var batch = await NextBatchAsync(stoppingToken);
            if (batch.Count == 0)
            {
                continue;
            }

            var (generated, error) = await RunAsync(batch, stoppingToken);
            if (generated is not null)
            {
                await handoff.WriteAsync(generated, stoppingToken);
            }
            else if (error is not null && batch.Count == 1)
            {
                batch[0].Session.ReportError(batch[0].Work, GenerationError(error));
            }
            else if (error is not null)
            {
                await RetryOneByOneAsync(batch, handoff, stoppingToken);
            }
        }
    }

    /// <summary>
    /// A failed batch may hold one bad request among good ones: each request runs again on its own, so only the
    /// failing one's session sees the error. A request superseded (or abandoned) meanwhile is not run again: its
    /// session's newer request already waits in the ready queue, and latest-wins says the old one is never needed.
    /// </summary>
    private async Task RetryOneByOneAsync(List<TakenWork> batch, ChannelWriter<GeneratedBatch> handoff, CancellationToken stoppingToken)
    {
        LiveLog.RetryingOneByOne(_logger, batch.Count);
        foreach (var item in batch)
        {
            if (!item.Session.IsNewest(item.Work))
            {
                continue;
            }

            var (generated, error) = await RunAsync([item], stoppingToken);
            if (generated is not null)
            {
                await handoff.WriteAsync(generated, stoppingToken);
            }
            else if (error is not null)
            {
                item.Session.ReportError(item.Work, GenerationError(error));
            }
        }
    }

    /// <summary>One generator call: the generated batch, or the error it failed with, or neither when it was cancelled.</summary>
    private async Task<(GeneratedBatch? Batch, Exception? Error)> RunAsync(List<TakenWork> batch, CancellationToken stoppingToken)
    {
        var requests = new GenerationRequest[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var work = batch[i].Work;
            var r = work.Request;
            requests[i] = new GenerationRequest(r.Prompt, work.Steps, r.Seed, r.Width, r.Height, r.ModelVariant) { Draft = work.IsDraft };
        }

        using var interest = BatchInterest.Create(batch, stoppingToken);
        var started = _time.GetTimestamp();
        IReadOnlyList<GenerationResult> results;
        TimeSpan elapsed;
        try
        {
            results = await _generator.GenerateAsync(requests, interest.Token);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            _stats.GenerationCancelled();
            LiveLog.GenerationCancelled(_logger, batch.Count);
            RunEnded(batch, cancelled: true);
            return (null, null);
        }
        catch (Exception ex)
        {
            _stats.GenerationFailed();
            LiveLog.GenerationFailed(_logger, ex, batch.Count);
            RunEnded(batch, cancelled: false);
            return (null, ex);
        }
        finally
        {
            // Every call counts, the cancelled and failed ones too: they held a generator as long as they ran.
            elapsed = _time.GetElapsedTime(started);
            _stats.GeneratorBusy(elapsed);
        }

        RunEnded(batch, cancelled: false);

        if (results.Count != batch.Count)
        {
            _stats.GenerationFailed();
            LiveLog.WrongResultCount(_logger, batch.Count, results.Count);
            return (null, new InvalidOperationException("the generator returned the wrong number of images."));
        }

        _stats.BatchGenerated(batch.Count);
        _readiness.MarkGenerated(results[0].Timings.Provider);
        return (new GeneratedBatch(batch, results, started, elapsed.TotalMilliseconds), null);
    }

    private static void RunEnded(List<TakenWork> batch, bool cancelled)
    {
        foreach (var item in batch)
        {
            item.Session.RunEnded(item, superseded: cancelled);
        }
    }

    private static string GenerationError(Exception error) => $"generation_failed: {error.Message}";

    /// <summary>The next session's newest request plus, when batching, the queued sessions whose newest request has the same shape.</summary>
    private async ValueTask<List<TakenWork>> NextBatchAsync(CancellationToken stoppingToken)
    {
        var batch = new List<TakenWork>(1);
        var first = await _ready.DequeueAsync(stoppingToken);
        if (first.TakePending() is not { } head)
        {
            return batch;
        }

        batch.Add(head);
        if (_maxBatch == 1)
        {
            return batch;
        }

        var shape = head.Work;
        var more = _ready.TakeWhere(s => s.PeekPending() is { } p && SameShape(p, shape), _maxBatch - 1);
        foreach (var session in more)
        {
            if (session.TakePending() is not { } taken)
            {
                continue;
            }

            if (SameShape(taken.Work, shape))
            {
                batch.Add(taken);
            }
            else
            {
                // A newer request of another shape arrived between the peek and the take: it waits for its own turn.
                session.Return(taken.Work);
            }
        }

        return batch;
    }

    /// <summary>
    /// What one generator call must share: steps, size, the variant (each variant is its own pipeline) and being a
    /// draft or not (a draft may have a decoder of its own).
    /// </summary>
    private static bool SameShape(PendingWork a, PendingWork b) =>
        a.Steps == b.Steps && a.IsDraft == b.IsDraft && a.Request.Width == b.Request.Width && a.Request.Height == b.Request.Height
        && string.Equals(a.Request.ModelVariant, b.Request.ModelVariant, StringComparison.Ordinal);

    private async Task EncodeStageAsync(ChannelReader<GeneratedBatch> handoff, CancellationToken stoppingToken)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.EncoderParallelism, CancellationToken = stoppingToken };
        try
        {
            await foreach (var batch in handoff.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await EncodeBatchAsync(batch, parallel);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One batch's fault (a generator result without pixels, say) must not end the stage: every later
                    // frame of every session would wait behind it.
                    LiveLog.EncodeBatchFailed(_logger, ex, batch.Items.Count);
                    foreach (var item in batch.Items)
                    {
                        item.Session.ReportError(item.Work, $"encode_failed: {ex.Message}");
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task EncodeBatchAsync(GeneratedBatch batch, ParallelOptions parallel)
    {
        var cached = new bool[batch.Items.Count];
        if (batch.Items.Count == 1)
        {
            cached[0] = EncodeAndPublish(batch, 0);
        }
        else
        {
            await Parallel.ForAsync(0, batch.Items.Count, parallel, (i, _) =>
            {
                cached[i] = EncodeAndPublish(batch, i);
                return ValueTask.CompletedTask;
            });
        }

        // Nothing reads the pixels any more (the frame is encoded and its session kept a copy of its own), unless
        // the frame cache took them over: it hands them back when it lets the picture go.
        for (var i = 0; i < batch.Results.Count; i++)
        {
            if (!cached[i])
            {
                _resultBuffers.Return(batch.Results[i].Rgb);
            }
        }
    }

    /// <summary>Encodes one result and publishes it to its session; true when the frame cache took its pixels over.</summary>
    private bool EncodeAndPublish(GeneratedBatch batch, int index)
    {
        var (session, work, _, _) = batch.Items[index];
        var result = batch.Results[index];

        // A newer frame of this session is already out (or nobody is left): encoding would be wasted.
        if (session.IsAnswered(work))
        {
            _stats.FrameStale();
            return false;
        }

        try
        {
            var encodeStart = _time.GetTimestamp();
            var image = _encoder.Encode(result.Rgb, result.Width, result.Height);
            var encodeMs = _time.GetElapsedTime(encodeStart).TotalMilliseconds;
            var t = result.Timings;
            var timings = new FrameTimings(
                QueueWaitMs: _time.GetElapsedTime(work.AcceptedTimestamp, batch.StartedTimestamp).TotalMilliseconds,
                TokenizeMs: t.TokenizeMs,
                TextEncodeMs: t.TextEncodeMs,
                UnetMs: t.UnetStepMs.Sum(),
                DecodeMs: t.DecodeMs,
                GenerateMs: batch.GenerateMs,
                ImageEncodeMs: encodeMs,
                TotalMs: _time.GetElapsedTime(work.AcceptedTimestamp).TotalMilliseconds,
                BatchSize: batch.Items.Count,
                TextCacheHit: t.TextCacheHit,
                Provider: t.Provider,
                TinyDecoder: t.TinyDecoder);
            var request = work.Request;
            session.Publish(work, result, sequence => new LiveFrame(
                session.Id,
                sequence,
                work.RequestId,
                request,
                _encoder.Format,
                image,
                result.Width,
                result.Height,
                timings,
                _time.GetUtcNow(),
                work.DraftSteps));
            return work.Key is { } key && _frames.TryAdd(key, _encoder.Format, image, result.Rgb, result.Width, result.Height);
        }
        catch (Exception ex)
        {
            LiveLog.EncodeFailed(_logger, ex, LiveIds.ForLog(session.Id));
            session.ReportError(work, $"encode_failed: {ex.Message}");
            return false;
        }
    }

    private sealed record GeneratedBatch(List<TakenWork> Items, IReadOnlyList<GenerationResult> Results, long StartedTimestamp, double GenerateMs);

    /// <summary>
    /// Cancels a run when the host stops, or when no request in the batch is wanted any more: each request counts once,
    /// when its session lost interest (emptied or closed) or when a newer request of its session superseded it.
    /// </summary>
    private sealed class BatchInterest : IDisposable
    {
        private readonly CancellationTokenSource _cts;
        private readonly List<CancellationTokenRegistration> _registrations = [];
        private int _remaining;

        private BatchInterest(CancellationTokenSource cts, int count)
        {
            _cts = cts;
            _remaining = count;
        }

        public CancellationToken Token => _cts.Token;

        public static BatchInterest Create(List<TakenWork> batch, CancellationToken stoppingToken)
        {
            var interest = new BatchInterest(CancellationTokenSource.CreateLinkedTokenSource(stoppingToken), batch.Count);
            foreach (var item in batch)
            {
                var lost = new LostInterest(interest);
                interest._registrations.Add(item.Interest.Register(static state => ((LostInterest)state!).Signal(), lost));
                interest._registrations.Add(item.Superseded.Register(static state => ((LostInterest)state!).Signal(), lost));
            }

            return interest;
        }

        public void Dispose()
        {
            foreach (var registration in _registrations)
            {
                registration.Dispose();
            }

            _cts.Dispose();
        }

        /// <summary>One request's vote: the first of its two signals counts, the second is ignored.</summary>
        private sealed class LostInterest(BatchInterest owner)
        {
            private int _signalled;

            public void Signal()
            {
                if (Interlocked.Exchange(ref _signalled, 1) == 0 && Interlocked.Decrement(ref owner._remaining) == 0)
                {
                    owner._cts.Cancel();
                }
            }
        }
    }
}
