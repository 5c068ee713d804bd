namespace NitroLive.Web.Tests.Reliability;

/// <summary>
/// Tests that read process-wide figures (the managed heap, meters that OpenTelemetry aggregates by name across every
/// host in the process) run alone, after the parallel tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTests
{
    public const string Name = "Reliability (serial)";
}
