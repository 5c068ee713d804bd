namespace NitroLive.Core.Pipeline;

/// <summary>
/// The one thread that makes the pipeline's blocking ONNX Runtime calls. A generation blocks its thread for the whole
/// run; on a thread-pool thread that starves everything else that needs the pool (timers, SignalR, Blazor, the very
/// cancellation that should stop the run) until the pool injects threads, about one per second. On a 2-core machine that
/// turned a 50 ms cancel into a 1.7 s one. A dedicated thread keeps the pool free and costs nothing per frame.
/// </summary>
internal sealed class GeneratorThread : IDisposable
{
    private readonly Thread _thread;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly TimeSpan _stopTimeout;
    private WorkItem? _work;
    private volatile bool _stopping;

    /// <param name="name">The thread's name.</param>
    /// <param name="stopTimeout">How long <see cref="Stop"/> waits for a run under way to end (30 s when null).</param>
    public GeneratorThread(string name, TimeSpan? stopTimeout = null)
    {
        _stopTimeout = stopTimeout ?? TimeSpan.FromSeconds(30);
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Runs <paramref name="work"/> on the thread; a caller that does not wait for the previous run gets an error.</summary>
    public Task<T> Run<T>(Func<T> work, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        ObjectDisposedException.ThrowIf(_stopping, this);
        var item = new WorkItem<T>(work);
        if (Interlocked.CompareExchange(ref _work, item, null) is not null)
        {
            return Task.FromException<T>(new InvalidOperationException(
                "NitroPipeline runs one generation at a time; the caller must await the previous one."));
        }

        _signal.Release();
        return item.Completion.Task;
    }

    public void Dispose() => Stop();

    /// <summary>
    /// Stops the thread once its run under way, if any, has ended; false when that run outlasted the stop timeout (then
    /// the thread finishes it and ends on its own, and whatever the run uses must be left alone until it does).
    /// </summary>
    public bool Stop()
    {
        if (_stopping)
        {
            return !_thread.IsAlive || Thread.CurrentThread == _thread;
        }

        _stopping = true;
        _signal.Release();
        if (Thread.CurrentThread == _thread || !_thread.Join(_stopTimeout))
        {
            // Still running: the thread waits on the signal once more before it sees the stop, so the signal stays.
            return Thread.CurrentThread == _thread;
        }

        _signal.Dispose();
        return true;
    }

    private void Loop()
    {
        while (true)
        {
            _signal.Wait();
            var work = Volatile.Read(ref _work);
            if (_stopping)
            {
                // Disposed between a caller's check and its post: fail the run rather than leave its task pending forever.
                work?.Abandon();
                return;
            }

            if (work is null)
            {
                continue;
            }

            work.Execute();

            // Free the slot before the caller hears of the result: its next run may be posted from the continuation.
            Volatile.Write(ref _work, null);
            work.Complete();
        }
    }

    private abstract class WorkItem
    {
        public abstract void Execute();

        public abstract void Complete();

        public abstract void Abandon();
    }

    private sealed class WorkItem<T>(Func<T> work) : WorkItem
    {
        // Continuations must not run on the generator thread: the next generation would wait for the caller's code.
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private T? _result;
        private Exception? _error;

        public override void Execute()
        {
            try
            {
                _result = work();
            }
            catch (Exception error)
            {
                _error = error;
            }
        }

        public override void Complete()
        {
            if (_error is OperationCanceledException cancelled && cancelled.CancellationToken.IsCancellationRequested)
            {
                Completion.SetCanceled(cancelled.CancellationToken);
            }
            else if (_error is not null)
            {
                Completion.SetException(_error);
            }
            else
            {
                Completion.SetResult(_result!);
            }
        }

        public override void Abandon() => Completion.TrySetException(new ObjectDisposedException(nameof(NitroPipeline)));
    }
}
