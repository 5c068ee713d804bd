namespace NitroLive.Core.Models;

/// <summary>One thing wrong with a model folder.</summary>
/// <param name="File">The file, relative to the model folder with '/' separators (e.g. <c>unet/model.onnx</c>).</param>
/// <param name="Tensor">The input or output the problem concerns, when there is one.</param>
/// <param name="Message">What was found and what was expected.</param>
public sealed record ModelProblem(string File, string? Tensor, string Message)
{
    /// <summary>The problem as one line: <c>file: message</c>.</summary>
    public override string ToString() => $"{File}: {Message}";
}

/// <summary>A model folder that does not follow the contract; <see cref="Problems"/> lists everything found wrong.</summary>
public sealed class ModelValidationException : Exception
{
    /// <summary>Creates the exception from the problems found (at least one).</summary>
    public ModelValidationException(string directory, IReadOnlyList<ModelProblem> problems)
        : base(FormatMessage(directory, problems))
    {
        Directory = directory;
        Problems = problems;
    }

    /// <summary>Creates the exception with a single problem message.</summary>
    public ModelValidationException(string message) : base(message)
    {
        Directory = string.Empty;
        Problems = [new ModelProblem(string.Empty, null, message)];
    }

    /// <summary>Creates the exception with a single problem message and its cause.</summary>
    public ModelValidationException(string message, Exception innerException) : base(message, innerException)
    {
        Directory = string.Empty;
        Problems = [new ModelProblem(string.Empty, null, message)];
    }

    /// <summary>Creates an exception without a message; prefer the other constructors.</summary>
    public ModelValidationException() : this("The model folder is not valid.")
    {
    }

    /// <summary>The model folder that was checked.</summary>
    public string Directory { get; }

    /// <summary>Every problem found, in the order the files were checked.</summary>
    public IReadOnlyList<ModelProblem> Problems { get; }

    private static string FormatMessage(string directory, IReadOnlyList<ModelProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var header = problems.Count == 1
            ? $"The model folder '{directory}' is not valid: "
            : $"The model folder '{directory}' has {problems.Count} problems: ";
        return header + string.Join("; ", problems.Select(p => p.ToString()));
    }
}
