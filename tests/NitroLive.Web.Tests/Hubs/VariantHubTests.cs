using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging.Abstractions;
using NitroLive.Core.Pipeline;
using NitroLive.Testing;
using NitroLive.Web.Hubs;

namespace NitroLive.Web.Tests.Hubs;

/// <summary>
/// End to end on a folder laid out like the export's (two variants of the embedded model that differ only in
/// nitrolive.json): the real app, one real pipeline per variant, the SignalR .NET client.
/// </summary>
[Collection(nameof(RealPipelineHubTests))]
public sealed class VariantHubTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task BothVariantsAreOfferedAndSwitchingToVibrantDrawsWithTheVibrantModel()
    {
        using var folder = TwoVariantModelFolder.Create(RealPipelineHubTests.ModelDirectory);
        await using var app = await LiveAppFactory.StartAsync(
            settings: new() { ["NitroLive:Model:Directory"] = folder.Directory, ["NitroLive:Model:Provider"] = "Cpu" },
            useRealGenerator: true);
        await using var connection = await app.ConnectAsync(messagePack: true);
        using var cancel = new CancellationTokenSource(Timeout);

        var info = await connection.InvokeAsync<ServerInfoMessage>("GetServerInfo", cancel.Token);
        Assert.Equal("realism", info.ModelVariant);
        Assert.Equal(
            [("realism", "Realism"), ("vibrant", "Vibrant")],
            info.ModelVariants.Select(v => (v.Name, v.DisplayName)));
        // Each variant's example prompts come from its own nitrolive.json.
        Assert.Equal(
            [["a realism example", "a red circle on a blue background"], ["a vibrant example", "a red circle on a blue background"]],
            info.ModelVariants.Select(v => v.ExamplePrompts));
        // The embedded model's folder, copied twice, names the words it knows.
        Assert.All(info.ModelVariants, v => Assert.Contains("triangle", v.Vocabulary));
        // ... and has a tiny decoder, which decodes its drafts.
        Assert.All(info.ModelVariants, v => Assert.True(v.DraftsUseTinyDecoder));

        const string prompt = "a red circle on a blue background";
        var session = await connection.InvokeAsync<JoinedMessage>(
            "CreateSession",
            new CreateSessionMessage { Initial = new RequestPatchMessage { Prompt = prompt, Seed = 7, SeedMode = "fixed" } },
            cancel.Token);
        Assert.Equal("realism", session.State.Request.ModelVariant);
        await using var frames = new FrameRecorder(connection, session.SessionId);

        var unknown = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<RequestAcceptedMessage>(
            "UpdateRequest", session.SessionId, new RequestPatchMessage { ModelVariant = "sketch" }, cancel.Token));
        Assert.Equal("unsupported_variant", unknown.ErrorCode());

        var realism = await FramePixelsAsync(connection, frames, session.SessionId, "realism", cancel.Token);
        var vibrant = await FramePixelsAsync(connection, frames, session.SessionId, "vibrant", cancel.Token);

        // Each frame is exactly what that variant's folder makes alone; the two differ, so a mix-up would show.
        Assert.Equal(Reference(folder.Realism, prompt), realism);
        Assert.Equal(Reference(folder.Vibrant, prompt), vibrant);
        Assert.NotEqual(realism, vibrant);
    }

    [Fact]
    public void AParentFolderWithoutAnyModelFolderStopsStartupSayingWhatIsMissing()
    {
        var empty = Directory.CreateTempSubdirectory("nitrolive-empty-parent-");
        try
        {
            using var factory = new LiveAppFactory(settings: new() { ["NitroLive:Model:Directory"] = empty.FullName }, useRealGenerator: true);

            var error = Assert.ThrowsAny<Exception>(factory.StartServer);

            var validation = Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(error is AggregateException a ? a.InnerExceptions[0] : error);
            Assert.Contains($"NitroLive:Model:Directory '{empty.FullName}'", validation.Message, StringComparison.Ordinal);
            Assert.Contains("nitrolive.json: file not found here nor in any subfolder", validation.Message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    /// <summary>Switches the session to <paramref name="variant"/> and returns the pixels of the frame that answers it.</summary>
    private static async Task<byte[]> FramePixelsAsync(
        HubConnection connection, FrameRecorder frames, string sessionId, string variant, CancellationToken cancellationToken)
    {
        var accepted = await connection.InvokeAsync<RequestAcceptedMessage>(
            "UpdateRequest", sessionId, new RequestPatchMessage { ModelVariant = variant }, cancellationToken);
        var frame = await frames.WaitForRequestAsync(accepted.RequestId, Timeout);
        Assert.Equal(variant, frame.Request.ModelVariant);
        return await connection.DownloadPixelsAsync(sessionId, frame.Sequence, cancellationToken);
    }

    private static byte[] Reference(string modelDirectory, string prompt)
    {
        using var alone = new NitroPipeline(new PipelineOptions { ModelDirectory = modelDirectory, Provider = ProviderPreference.Cpu }, NullLoggerFactory.Instance);
        var native = (alone.Model.NativeWidth, alone.Model.NativeHeight);
        return alone.Generate([new GenerationRequest(prompt, 1, 7, native.Item1, native.Item2)], CancellationToken.None)[0].Rgb;
    }
}
