using System.Reflection;
using Microsoft.AspNetCore.SignalR;
using NitroLive.Web.Hubs;

namespace NitroLive.Web.Tests.Hubs;

public sealed class LiveHubContractTests
{
    [Fact]
    public void ContractNamesExactlyTheHubsPublicMethods()
    {
        var contract = typeof(LiveHubContract).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name != nameof(LiveHubContract.Path))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal)
            .ToList();
        var hub = typeof(LiveHub).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName && m.DeclaringType == typeof(LiveHub) && m.GetBaseDefinition().DeclaringType != typeof(Hub))
            .Select(m => m.Name)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(hub, contract);
    }

    [Fact]
    public void HubIsMappedAtTheContractsPath() => Assert.Equal("/hubs/live", LiveHub.Path);
}
