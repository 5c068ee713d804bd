using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NitroLive.Core.Models;
using NitroLive.Core.Pipeline;

namespace NitroLive.Core.Tests.Models;

public sealed class ExecutionProviderSelectorTests
{
    [Fact]
    public void CpuWhenAskedForCpu()
    {
        var selector = new ExecutionProviderSelector(new PipelineOptions { ModelDirectory = ".", Provider = ProviderPreference.Cpu }, NullLogger.Instance);

        Assert.Equal("CPU", selector.Provider);
        Assert.Equal("CPU requested", selector.Reason);
        Assert.False(selector.IsCuda);
    }

    [Fact]
    public void AutoSaysInOneLogLineWhichProviderAndWhy()
    {
        var logger = new ListLogger();

        var selector = new ExecutionProviderSelector(new PipelineOptions { ModelDirectory = "." }, logger);

        var line = Assert.Single(logger.Lines);
        Assert.Equal($"Execution provider {selector.Provider}: {selector.Reason}", line);
        if (selector.Provider == "CPU")
        {
            // On a machine without a usable GPU the reason names what stopped CUDA.
            Assert.StartsWith("CUDA unavailable: ", selector.Reason, StringComparison.Ordinal);
            Assert.True(selector.Reason.Length > "CUDA unavailable: ".Length);
        }
        else
        {
            Assert.Equal("CUDA", selector.Provider);
        }
    }

    [Fact]
    public void RequiredCudaThatCannotLoadIsAnErrorNotASilentFallback()
    {
        var auto = new ExecutionProviderSelector(new PipelineOptions { ModelDirectory = "." }, NullLogger.Instance);
        if (auto.IsCuda)
        {
            return; // This machine has a working GPU; nothing to refuse.
        }

        var ex = Assert.Throws<InvalidOperationException>(() =>
            new ExecutionProviderSelector(new PipelineOptions { ModelDirectory = ".", Provider = ProviderPreference.Cuda }, NullLogger.Instance));
        Assert.Equal("CUDA was requested but cannot be used: " + auto.Reason["CUDA unavailable: ".Length..], ex.Message);
    }

    [Theory]
    [InlineData(
        "[ErrorCode:Fail] Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.12: cannot open shared object file: No such file or directory",
        "libcublasLt.so.12 not found")]
    [InlineData(
        "/onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:1778 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library libonnxruntime_providers_cuda.so with error: libcudnn.so.9: cannot open shared object file: No such file or directory\n",
        "libcudnn.so.9 not found")]
    [InlineData("CUDA failure 100: no CUDA-capable device is detected ; GPU=0\nmore", "CUDA failure 100: no CUDA-capable device is detected ; GPU=0")]
    public void AProviderLoadFailureIsShortenedToItsCause(string message, string expected) =>
        Assert.Equal(expected, ExecutionProviderSelector.DescribeFailure(message));

    [Fact]
    public void SessionOptionsCanBeCreatedRepeatedly()
    {
        var selector = new ExecutionProviderSelector(new PipelineOptions { ModelDirectory = ".", Provider = ProviderPreference.Cpu, IntraOpThreads = 1 }, NullLogger.Instance);

        using var first = selector.CreateSessionOptions();
        using var second = selector.CreateSessionOptions();

        Assert.Equal(1, first.IntraOpNumThreads);
        Assert.NotSame(first, second);
    }

    [Fact]
    public void TensorRtRequestedWithoutCudaFallsBackToCpuAndSaysSo()
    {
        var auto = new ExecutionProviderSelector(new PipelineOptions { ModelDirectory = "." }, NullLogger.Instance);
        if (auto.IsCuda)
        {
            return; // A GPU machine: TensorRT's own probe decides there (see docs/real-models.md).
        }

        var selector = new ExecutionProviderSelector(new PipelineOptions { ModelDirectory = ".", UseTensorRt = true }, NullLogger.Instance);

        Assert.Equal("CPU", selector.Provider);
        Assert.False(selector.UsesTensorRt);
        Assert.EndsWith("(TensorRT was requested; it needs CUDA)", selector.Reason, StringComparison.Ordinal);
        using var options = selector.CreateSessionOptions(); // and sessions still open on the CPU
    }

    [Fact]
    public void TensorRtCachesEnginesOnlyWhenGivenADirectory()
    {
        var plain = new ExecutionProviderSelector(new PipelineOptions { ModelDirectory = ".", Provider = ProviderPreference.Cpu, DeviceId = 1, UseTensorRt = true }, NullLogger.Instance)
            .TensorRtSettings();
        var cached = new ExecutionProviderSelector(
            new PipelineOptions { ModelDirectory = ".", Provider = ProviderPreference.Cpu, UseTensorRt = true, TensorRtCacheDirectory = "/var/cache/nitrolive/trt" },
            NullLogger.Instance).TensorRtSettings();

        Assert.Equal("1", plain["device_id"]);
        Assert.Equal("1", plain["trt_fp16_enable"]);
        Assert.False(plain.ContainsKey("trt_engine_cache_enable"));
        Assert.Equal("1", cached["trt_engine_cache_enable"]);
        Assert.Equal("/var/cache/nitrolive/trt", cached["trt_engine_cache_path"]);
        Assert.Equal("/var/cache/nitrolive/trt", cached["trt_timing_cache_path"]);
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
