namespace NitroLive.Web.Components.Parts;

/// <summary>Turns an execution provider name into what people call it.</summary>
internal static class ProviderLabel
{
    public static bool IsCpu(string? provider) =>
        string.IsNullOrEmpty(provider) || provider.Equals("CPU", StringComparison.OrdinalIgnoreCase);

    public static string Describe(string? provider) =>
        IsCpu(provider) ? "CPU" : $"GPU ({provider})";
}
