using System.Net;
using NitroLive.Core.Models;

namespace NitroLive.Web.Tests.Reliability;

/// <summary>
/// The model folder disappearing while the app runs (an unmounted volume, a redeploy that swaps the folder): the
/// sessions already hold every model in memory, so serving must go on untouched until the next start, which is where a
/// missing folder is reported (see StartupTests).
/// </summary>
public sealed class ModelFolderRemovalTests
{
    [Fact]
    public async Task RemovingTheModelFolderAtRunTimeDisturbsNoSessionOldOrNew()
    {
        var copy = Directory.CreateTempSubdirectory("nitrolive-vanishing-model-");
        CopyDirectory(EmbeddedModel.DefaultDirectory, copy.FullName);
        await using var host = ReliabilityHost.StartWithRealPipeline(modelDirectory: copy.FullName);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var before = await host.NewSessionAsync(cts.Token);
        var first = await before.SetPromptAsync("a red circle", cts.Token);
        await before.FrameForAsync(first.RequestId, ReliabilityHost.Timeout);

        copy.Delete(recursive: true);
        Assert.False(Directory.Exists(copy.FullName));

        // A new prompt (text encoders, UNet, decoder all run again: a cache miss) in the old session and in a new one.
        var second = await before.SetPromptAsync("a blue square on a yellow background", cts.Token);
        var frame = await before.FrameForAsync(second.RequestId, ReliabilityHost.Timeout);
        Assert.Equal("a blue square on a yellow background", frame.Request.Prompt);
        await using var after = await host.NewSessionAsync(cts.Token);
        var third = await after.SetPromptAsync("two green triangles", cts.Token);
        Assert.Equal("two green triangles", (await after.FrameForAsync(third.RequestId, ReliabilityHost.Timeout)).Request.Prompt);

        using var http = host.NewHttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/healthz", UriKind.Relative), cts.Token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/readyz", UriKind.Relative), cts.Token)).StatusCode);
        var png = await http.GetAsync(new Uri($"/live/sessions/{before.SessionId}/frame.png", UriKind.Relative), cts.Token);
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }
}
