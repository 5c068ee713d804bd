using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using NitroLive.Web.Hubs;
using NitroLive.Web.Live;
using NitroLive.Web.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace NitroLive.Web.Extensions;

/// <summary>Endpoints of the live service.</summary>
public static class LiveEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the hub at <c>/hubs/live</c>, <c>/healthz</c> (liveness: the process answers) and <c>/readyz</c>
    /// (the model is loaded and warmed up; the JSON names model and provider), and
    /// <c>GET /live/sessions/{sessionId}/frame.png[?sequence=N]</c>: the newest frame as a full-quality PNG download
    /// (knowing the session id is the capability, as it is for joining as a viewer).
    /// </summary>
    /// <param name="endpoints">The endpoint builder.</param>
    /// <returns>The endpoint builder.</returns>
    public static IEndpointRouteBuilder MapNitroLive(this IEndpointRouteBuilder endpoints)
    {
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<LiveOptions>>().Value;
        endpoints.MapHub<LiveHub>(LiveHub.Path, o => o.TransportSendTimeout = TimeSpan.FromSeconds(options.HubSendTimeoutSeconds));
        endpoints.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(GeneratorReadyHealthCheck.ReadyTag),
            ResponseWriter = WriteReadinessAsync,
        });
        endpoints.MapGet("/live/sessions/{sessionId}/frame.png", DownloadPngAsync).RequireRateLimiting(SecurityExtensions.DownloadsPolicy);
        return endpoints;
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> DownloadPngAsync(
        string sessionId, long? sequence, LiveService live, HttpContext httpContext, CancellationToken cancellationToken)
    {
        try
        {
            var (frame, png) = await live.EncodePngAsync(sessionId, sequence, cancellationToken);
            return TypedResults.File(png, "image/png", $"nitrolive-{frame.Sequence}.png");
        }
        catch (LiveException ex)
        {
            var status = ex.Code switch
            {
                LiveErrorCode.UnknownSession or LiveErrorCode.FrameUnavailable => StatusCodes.Status404NotFound,
                LiveErrorCode.Busy => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status400BadRequest,
            };
            if (ex.Code == LiveErrorCode.Busy)
            {
                httpContext.Response.Headers.RetryAfter = "1";
            }

            return TypedResults.Problem(ex.Message, statusCode: status, title: ex.CodeName);
        }
    }

    private static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), description = e.Value.Description, data = e.Value.Data }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body), context.RequestAborted);
    }
}
