namespace NitroLive.Core.Text;

/// <summary>A tokenizer folder is missing a file, or a file in it is not what a CLIP tokenizer needs.</summary>
public sealed class TokenizerLoadException : Exception
{
    /// <summary>Creates the exception for <paramref name="filePath"/>.</summary>
    public TokenizerLoadException(string filePath, string message, Exception? innerException = null)
        : base($"{filePath}: {message}", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The file (or folder) that is missing or wrong.</summary>
    public string FilePath { get; }
}
