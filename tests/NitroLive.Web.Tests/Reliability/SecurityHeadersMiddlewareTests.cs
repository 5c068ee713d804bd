using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using NitroLive.Web.Security;

namespace NitroLive.Web.Tests.Reliability;

/// <summary>
/// The headers middleware when the pipeline runs twice for one response, as the exception handler re-executes it for
/// the error page in production (the test hosts run in Development, where that handler is off).
/// </summary>
public sealed class SecurityHeadersMiddlewareTests
{
    [Fact]
    public async Task AReExecutedPipelineKeepsTheNonceTheHeaderCarries()
    {
        var noncesSeen = new List<string>();
        var middleware = new SecurityHeadersMiddleware(
            context =>
            {
                noncesSeen.Add((string)context.Items[SecurityHeadersMiddleware.NonceKey]!);
                return Task.CompletedTask;
            },
            Options.Create(new SecurityOptions()));
        var response = new StartingResponse();
        var context = new DefaultHttpContext();
        context.Features.Set<IHttpResponseFeature>(response);

        await middleware.InvokeAsync(context);
        await middleware.InvokeAsync(context); // the error page, rendered into the same response
        await response.StartAsync();

        Assert.Equal(2, noncesSeen.Count);
        Assert.Equal(noncesSeen[0], noncesSeen[1]);
        Assert.Contains($"'nonce-{noncesSeen[1]}'", context.Response.Headers.ContentSecurityPolicy.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A response whose OnStarting callbacks run, last registered first, as Kestrel runs them.</summary>
    private sealed class StartingResponse : HttpResponseFeature
    {
        private readonly Stack<(Func<object, Task> Callback, object State)> _starting = new();

        public override void OnStarting(Func<object, Task> callback, object state) => _starting.Push((callback, state));

        public async Task StartAsync()
        {
            while (_starting.TryPop(out var entry))
            {
                await entry.Callback(entry.State);
            }
        }
    }
}
