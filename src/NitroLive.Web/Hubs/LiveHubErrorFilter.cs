using Microsoft.AspNetCore.SignalR;
using NitroLive.Web.Live;

namespace NitroLive.Web.Hubs;

/// <summary>Turns a refused live-service call into a <see cref="HubException"/> whose message starts with a stable code.</summary>
internal sealed class LiveHubErrorFilter(ILogger<LiveHubErrorFilter> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (LiveException ex)
        {
            LiveLog.HubCallRefused(logger, invocationContext.HubMethodName, ex.CodeName);
            throw new HubException($"{ex.CodeName}: {ex.Message}", ex);
        }
    }
}
