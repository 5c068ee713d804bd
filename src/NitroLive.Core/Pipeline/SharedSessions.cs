using Microsoft.ML.OnnxRuntime;
using NitroLive.Core.Models;

namespace NitroLive.Core.Pipeline;

/// <summary>
/// ONNX sessions that the pipelines of several model variants run together. NitroSD-Realism and NitroSD-Vibrant differ
/// only in the UNet: opened one variant at a time, the SDXL text encoders and VAE decoder (about 1.7 GB in float16) would
/// sit in GPU memory once per variant. A component is shared only when its folder holds the same files, byte for byte, as
/// the folder its session was opened from (the export's hard links and copies both qualify), so a hand-made variant with
/// its own encoder keeps its own session. ONNX Runtime allows concurrent runs of one session; each pipeline keeps its own
/// input and output buffers.
/// </summary>
/// <remarks>Used while the variants' pipelines are constructed, one after the other; not for concurrent opening.</remarks>
internal sealed class SharedSessions : IDisposable
{
    private const int CompareBufferBytes = 1 << 20;

    private readonly List<Entry> _entries = [];

    /// <summary>Sessions opened so far (each possibly used by several pipelines).</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// The session for <paramref name="relativePath"/> in <paramref name="folder"/>: one opened earlier for a folder whose
    /// component holds the same files, else a new one from <paramref name="open"/>, kept for the variants after it.
    /// </summary>
    /// <param name="folder">The variant's model folder.</param>
    /// <param name="relativePath">The model file, e.g. <c>text_encoder/model.onnx</c>; its folder is the compared component.</param>
    /// <param name="open">Opens the session when none can be shared.</param>
    /// <param name="sharedFrom">The component folder whose session is reused; null when a new one was opened.</param>
    public InferenceSession GetOrOpen(ModelFolder folder, string relativePath, Func<InferenceSession> open, out string? sharedFrom)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(open);
        var component = Path.GetDirectoryName(relativePath) ?? string.Empty;
        var directory = folder.PathOf(component);
        foreach (var entry in _entries)
        {
            if (string.Equals(entry.RelativePath, relativePath, StringComparison.Ordinal) && SameFiles(entry.Directory, directory))
            {
                sharedFrom = entry.Directory;
                return entry.Session;
            }
        }

        var session = open();
        _entries.Add(new Entry(relativePath, directory, session));
        sharedFrom = null;
        return session;
    }

    /// <summary>Closes every session; the pipelines using them must be disposed first.</summary>
    public void Dispose()
    {
        foreach (var entry in _entries)
        {
            entry.Session.Dispose();
        }

        _entries.Clear();
    }

    /// <summary>
    /// True when both folders hold the same relative file names with the same bytes (all files, so the model file, its
    /// external weights and its config alike). Lengths are compared before any content is read.
    /// </summary>
    internal static bool SameFiles(string first, string second)
    {
        if (string.Equals(Path.GetFullPath(first), Path.GetFullPath(second), StringComparison.Ordinal))
        {
            return true;
        }

        var a = ListFiles(first);
        var b = ListFiles(second);
        if (a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (!string.Equals(a[i].Name, b[i].Name, StringComparison.Ordinal) || a[i].Length != b[i].Length)
            {
                return false;
            }
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (!SameBytes(Path.Combine(first, a[i].Name), Path.Combine(second, b[i].Name)))
            {
                return false;
            }
        }

        return true;
    }

    private static List<(string Name, long Length)> ListFiles(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var files = new List<(string Name, long Length)>();
        foreach (var path in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            files.Add((Path.GetRelativePath(directory, path), new FileInfo(path).Length));
        }

        files.Sort((x, y) => string.CompareOrdinal(x.Name, y.Name));
        return files;
    }

    private static bool SameBytes(string first, string second)
    {
        using var a = File.OpenRead(first);
        using var b = File.OpenRead(second);
        var bufferA = new byte[CompareBufferBytes];
        var bufferB = new byte[CompareBufferBytes];
        while (true)
        {
            var readA = a.ReadAtLeast(bufferA, bufferA.Length, throwOnEndOfStream: false);
            var readB = b.ReadAtLeast(bufferB, bufferB.Length, throwOnEndOfStream: false);
            if (readA != readB || !bufferA.AsSpan(0, readA).SequenceEqual(bufferB.AsSpan(0, readB)))
            {
                return false;
            }

            if (readA == 0)
            {
                return true;
            }
        }
    }

    private sealed record Entry(string RelativePath, string Directory, InferenceSession Session);
}
