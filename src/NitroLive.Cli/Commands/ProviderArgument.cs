using NitroLive.Core.Pipeline;

namespace NitroLive.Cli.Commands;

/// <summary>Parses <c>--provider auto|cpu|cuda</c>.</summary>
internal static class ProviderArgument
{
    public static bool TryParse(string text, out ProviderPreference provider)
    {
        (var ok, provider) = text.ToUpperInvariant() switch
        {
            "AUTO" => (true, ProviderPreference.Auto),
            "CPU" => (true, ProviderPreference.Cpu),
            "CUDA" => (true, ProviderPreference.Cuda),
            _ => (false, ProviderPreference.Auto),
        };
        return ok;
    }
}
