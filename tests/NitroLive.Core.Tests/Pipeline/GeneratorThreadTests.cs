using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.Pipeline;

public sealed class GeneratorThreadTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task WorkRunsOnTheDedicatedThreadAndNeverOnThePool()
    {
        using var thread = new GeneratorThread("test-generator");

        var (name, pooled) = await thread.Run(() => (Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread), CancellationToken.None)
            .WaitAsync(Timeout);

        Assert.Equal("test-generator", name);
        Assert.False(pooled);
    }

    [Fact]
    public async Task WorkThatStopsOnItsCancelledTokenEndsAsCancelledNotFaulted()
    {
        using var thread = new GeneratorThread("test-generator");
        using var cts = new CancellationTokenSource();
        using var started = new ManualResetEventSlim();

        // Blocks until cancelled, as a running ONNX Runtime session blocks until RunOptions.Terminate.
        var run = thread.Run(() =>
        {
            started.Set();
            cts.Token.WaitHandle.WaitOne();
            cts.Token.ThrowIfCancellationRequested();
            return 0;
        }, cts.Token);

        Assert.True(started.Wait(Timeout), "the work never started");
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Timeout));
        Assert.True(run.IsCanceled);
    }

    [Fact]
    public async Task ASecondRunWhileOneIsInFlightIsRefusedAndTheFirstStillCompletes()
    {
        using var thread = new GeneratorThread("test-generator");
        using var release = new ManualResetEventSlim();

        var first = thread.Run(() => release.Wait(Timeout), CancellationToken.None);
        var second = thread.Run(() => true, CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => second.WaitAsync(Timeout));
        release.Set();
        Assert.True(await first.WaitAsync(Timeout));
        Assert.Equal(42, await thread.Run(() => 42, CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task AnExceptionFaultsOnlyItsOwnRun()
    {
        using var thread = new GeneratorThread("test-generator");

        await Assert.ThrowsAsync<FormatException>(() => thread.Run<int>(() => throw new FormatException("bad"), CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(7, await thread.Run(() => 7, CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task ARunThatOutlastsTheStopTimeoutFinishesAndTheThreadThenEndsOnItsOwn()
    {
        var thread = new GeneratorThread("test-generator", stopTimeout: TimeSpan.FromMilliseconds(100));
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var run = thread.Run(() =>
        {
            started.Set();
            release.Wait(Timeout);
            return 5;
        }, CancellationToken.None);
        Assert.True(started.Wait(Timeout), "the work never started");

        Assert.False(thread.Stop(), "the stop claimed the thread had ended while its run went on");
        release.Set();

        // The run completes, and the thread ends without touching anything the stop released (a crash on a
        // background thread would end the test process).
        Assert.Equal(5, await run.WaitAsync(Timeout));
        using var deadline = new CancellationTokenSource(Timeout);
        while (!thread.Stop())
        {
            await Task.Delay(10, deadline.Token);
        }

        await Assert.ThrowsAsync<ObjectDisposedException>(() => thread.Run(() => 1, CancellationToken.None));
    }

    [Fact]
    public async Task AnAlreadyCancelledTokenNeverRunsTheWork()
    {
        using var thread = new GeneratorThread("test-generator");
        var ran = false;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            thread.Run(() => ran = true, new CancellationToken(canceled: true)).WaitAsync(Timeout));
        Assert.False(ran);
    }
}
