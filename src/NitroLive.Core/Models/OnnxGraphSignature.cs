using Microsoft.ML.OnnxRuntime.Tensors;

namespace NitroLive.Core.Models;

/// <summary>One dimension of a declared tensor shape: a fixed size, a named (dynamic) axis, or unknown.</summary>
/// <param name="Value">The fixed size, or null when the axis is dynamic.</param>
/// <param name="Name">The symbolic name of a dynamic axis (e.g. <c>batch_size</c>), when the exporter gave one.</param>
public readonly record struct TensorDimension(long? Value, string? Name)
{
    /// <summary>True when the axis has no fixed size.</summary>
    public bool IsDynamic => Value is null;

    /// <summary>The size, or the axis name, or <c>?</c>.</summary>
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Name ?? "?";
}

/// <summary>A graph input or output as the ONNX file declares it.</summary>
/// <param name="Name">The tensor name.</param>
/// <param name="ElementType">The element type; <see cref="TensorElementType.DataTypeMax"/> when the value is not a tensor.</param>
/// <param name="Shape">The declared dimensions, or null when the file declares no shape (rank unknown).</param>
public sealed record OnnxTensorInfo(string Name, TensorElementType ElementType, IReadOnlyList<TensorDimension>? Shape)
{
    /// <summary>The rank, or -1 when the file declares no shape.</summary>
    public int Rank => Shape?.Count ?? -1;

    /// <summary>The element type as ONNX spells it (<c>float16</c>, <c>int64</c>, ...).</summary>
    public string ElementTypeName => OnnxElementTypes.Name(ElementType);

    /// <summary>The dimension at <paramref name="axis"/> when it is fixed; otherwise null.</summary>
    public long? FixedDim(int axis) => Shape is { } s && axis < s.Count ? s[axis].Value : null;

    /// <summary>For example <c>float16 [batch_size, 4, height, width]</c>.</summary>
    public override string ToString() =>
        Shape is null ? $"{ElementTypeName} (shape not declared)" : $"{ElementTypeName} [{string.Join(", ", Shape)}]";
}

/// <summary>What an ONNX file declares, read without loading its weights.</summary>
/// <param name="IrVersion">ModelProto.ir_version.</param>
/// <param name="Opset">The default-domain opset, or 0 when absent.</param>
/// <param name="Inputs">Graph inputs that are not initializers, in declaration order.</param>
/// <param name="Outputs">Graph outputs in declaration order.</param>
/// <param name="ExternalData">External weight files the initializers reference, with the bytes each must hold at least.</param>
public sealed record OnnxGraphSignature(
    long IrVersion,
    long Opset,
    IReadOnlyList<OnnxTensorInfo> Inputs,
    IReadOnlyList<OnnxTensorInfo> Outputs,
    IReadOnlyDictionary<string, long> ExternalData)
{
    /// <summary>The operator domain of ONNX Runtime's contrib operators (fused attention, GroupNorm, ...).</summary>
    public const string OnnxRuntimeContribDomain = "com.microsoft";

    /// <summary>
    /// The operator domains the file imports besides ONNX's own (<c>com.microsoft</c> for ONNX Runtime's contrib
    /// operators, which its diffusion fusions write), in file order.
    /// </summary>
    public IReadOnlyList<string> OperatorDomains { get; init; } = [];

    /// <summary>True when the graph imports ONNX Runtime's contrib operators, as a graph through its fusions does.</summary>
    public bool UsesOnnxRuntimeContribOperators => OperatorDomains.Contains(OnnxRuntimeContribDomain, StringComparer.Ordinal);

    /// <summary>The input named <paramref name="name"/>, or null.</summary>
    public OnnxTensorInfo? Input(string name) => Inputs.FirstOrDefault(i => i.Name == name);

    /// <summary>The output named <paramref name="name"/>, or null.</summary>
    public OnnxTensorInfo? Output(string name) => Outputs.FirstOrDefault(o => o.Name == name);

    /// <summary>
    /// Values for a session's symbolic dimensions, read from the shapes the caller binds to the graph's inputs and
    /// outputs (<c>SessionOptions.AddFreeDimensionOverrideByName</c>), so ORT folds the shape arithmetic to constants (and on
    /// CUDA keeps every node on the device).
    /// </summary>
    /// <exception cref="InvalidOperationException">A symbolic dimension would get two values, or a bound tensor has another rank.</exception>
    public IReadOnlyDictionary<string, long> FreeDimensions(IReadOnlyDictionary<string, long[]> boundShapes)
    {
        var values = new SortedDictionary<string, long>(StringComparer.Ordinal);
        ArgumentNullException.ThrowIfNull(boundShapes);
        foreach (var tensor in Inputs.Concat(Outputs))
        {
            if (tensor.Shape is not { } declared || !boundShapes.TryGetValue(tensor.Name, out var bound))
            {
                continue;
            }

            if (declared.Count != bound.Length)
            {
                throw new InvalidOperationException(
                    $"'{tensor.Name}' is declared with rank {declared.Count} but bound with rank {bound.Length}");
            }

            for (var axis = 0; axis < declared.Count; axis++)
            {
                if (declared[axis] is { Value: null, Name: { Length: > 0 } name })
                {
                    if (values.TryGetValue(name, out var seen) && seen != bound[axis])
                    {
                        throw new InvalidOperationException(
                            $"dimension '{name}' is {seen} in one input and {bound[axis]} in '{tensor.Name}'");
                    }

                    values[name] = bound[axis];
                }
            }
        }

        return values;
    }
}

/// <summary>ONNX names of tensor element types.</summary>
public static class OnnxElementTypes
{
    /// <summary>The ONNX name (<c>float</c> is written <c>float32</c> to read unambiguously next to <c>float16</c>).</summary>
    public static string Name(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Float16 => "float16",
        TensorElementType.BFloat16 => "bfloat16",
        TensorElementType.Double => "float64",
        TensorElementType.Int8 => "int8",
        TensorElementType.UInt8 => "uint8",
        TensorElementType.Int16 => "int16",
        TensorElementType.UInt16 => "uint16",
        TensorElementType.Int32 => "int32",
        TensorElementType.UInt32 => "uint32",
        TensorElementType.Int64 => "int64",
        TensorElementType.UInt64 => "uint64",
        TensorElementType.Bool => "bool",
        TensorElementType.String => "string",
        TensorElementType.DataTypeMax => "non-tensor",
        _ => "type " + ((int)type).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Bytes per element of the numeric types NitroLive feeds.</summary>
    public static int Size(TensorElementType type) => type switch
    {
        TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 4,
        TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Int16 or TensorElementType.UInt16 => 2,
        TensorElementType.Double or TensorElementType.Int64 or TensorElementType.UInt64 => 8,
        TensorElementType.Int8 or TensorElementType.UInt8 or TensorElementType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a fixed-size numeric type"),
    };
}
