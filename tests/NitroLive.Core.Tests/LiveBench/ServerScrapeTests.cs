using System.Net;
using System.Text;
using System.Text.Json;
using NitroLive.Cli.LiveBench;

namespace NitroLive.Core.Tests.LiveBench;

/// <summary>How <c>bench live</c> reads the server's /metrics: a scrape that cannot be had is a missing figure, never a lost run.</summary>
public sealed class ServerScrapeTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AScrapeTheServerIsTooBusyToAnswerInTimeHasNoFigures()
    {
        using var http = new HttpClient(new NeverAnswers()) { BaseAddress = new Uri("http://127.0.0.1:5000/"), Timeout = TimeSpan.FromMilliseconds(100) };

        Assert.Null(await ServerScrape.ScrapeAsync(http, CancellationToken.None).WaitAsync(Bound));

        // The run's own cancellation still ends the run.
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ServerScrape.ScrapeAsync(http, cancelled.Token).WaitAsync(Bound));
    }

    [Fact]
    public void AMetricThatIsNotAFiniteNumberIsLeftOutAndWrittenAsNull()
    {
        var sums = ServerScrape.Parse("""
            dotnet_process_memory_working_set_bytes NaN
            dotnet_gc_last_collection_heap_size_bytes{generation="gen0"} +Inf
            nitrolive_sessions 3
            """);
        Assert.Equal(new Dictionary<string, double> { ["nitrolive_sessions"] = 3 }, sums);

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            ServerScrape.WriteNumber(json, null);
            ServerScrape.WriteNumber(json, 412.345);
            json.WriteEndArray();
        }

        Assert.Equal("[null,412.3]", Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private sealed class NeverAnswers : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
