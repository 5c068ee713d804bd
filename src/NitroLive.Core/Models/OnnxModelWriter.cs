using System.Text;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace NitroLive.Core.Models;

/// <summary>A float32 initializer whose bytes live in an external file.</summary>
internal sealed record OnnxExternalInitializer(string Name, long[] Dims, string Location, long Offset);

/// <summary>An initializer stored in the model itself (raw little-endian bytes).</summary>
internal sealed record OnnxInlineInitializer(string Name, TensorElementType Type, long[] Dims, byte[] RawData);

/// <summary>One node of a hand-built graph; <paramref name="Domain"/> empty for the standard ONNX operators.</summary>
internal sealed record OnnxNodeSpec(
    string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, long>? IntAttributes = null,
    string Domain = "");

/// <summary>
/// Writes small ONNX ModelProtos (declared inputs/outputs and attribute-free nodes) with the onnx.proto3 field numbers.
/// The provider probe opens one on the device; tests write model folders with it.
/// </summary>
internal static class OnnxModelWriter
{
    public static byte[] Build(
        IEnumerable<OnnxTensorInfo> inputs, IEnumerable<OnnxTensorInfo> outputs, IEnumerable<OnnxNodeSpec> nodes, long opset = 17, long irVersion = 8,
        IEnumerable<OnnxExternalInitializer>? externalInitializers = null, IEnumerable<OnnxInlineInitializer>? initializers = null)
    {
        var graph = new MemoryStream();
        var nodeDomains = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            if (node.Domain.Length > 0)
            {
                nodeDomains.Add(node.Domain);
            }

            var n = new MemoryStream();
            foreach (var i in node.Inputs)
            {
                WriteString(n, 1, i);
            }

            foreach (var o in node.Outputs)
            {
                WriteString(n, 2, o);
            }

            WriteString(n, 4, node.OpType);
            if (node.Domain.Length > 0)
            {
                WriteString(n, 7, node.Domain);
            }

            foreach (var (key, value) in node.IntAttributes ?? new Dictionary<string, long>())
            {
                // AttributeProto: name = 1, i = 3, type = 20 (INT = 2).
                var a = new MemoryStream();
                WriteString(a, 1, key);
                WriteVarintField(a, 3, (ulong)value);
                WriteVarintField(a, 20, 2);
                WriteMessage(n, 5, a);
            }

            WriteMessage(graph, 1, n);
        }

        WriteString(graph, 2, "nitrolive");
        foreach (var init in initializers ?? [])
        {
            var t = new MemoryStream();
            foreach (var d in init.Dims)
            {
                WriteVarintField(t, 1, (ulong)d);
            }

            WriteVarintField(t, 2, (ulong)(int)init.Type);
            WriteString(t, 8, init.Name);
            WriteBytes(t, 9, init.RawData);
            WriteMessage(graph, 5, t);
        }

        foreach (var init in externalInitializers ?? [])
        {
            var t = new MemoryStream();
            foreach (var d in init.Dims)
            {
                WriteVarintField(t, 1, (ulong)d);
            }

            WriteVarintField(t, 2, (ulong)(int)TensorElementType.Float);
            WriteString(t, 8, init.Name);
            foreach (var (key, value) in new[] { ("location", init.Location), ("offset", init.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture)) })
            {
                var entry = new MemoryStream();
                WriteString(entry, 1, key);
                WriteString(entry, 2, value);
                WriteMessage(t, 13, entry);
            }

            WriteVarintField(t, 14, 1);
            WriteMessage(graph, 5, t);
        }

        foreach (var input in inputs)
        {
            WriteMessage(graph, 11, ValueInfo(input));
        }

        foreach (var output in outputs)
        {
            WriteMessage(graph, 12, ValueInfo(output));
        }

        var model = new MemoryStream();
        WriteVarintField(model, 1, (ulong)irVersion);
        WriteString(model, 2, "nitrolive");
        WriteMessage(model, 7, graph);
        var opsetId = new MemoryStream();
        WriteString(opsetId, 1, string.Empty);
        WriteVarintField(opsetId, 2, (ulong)opset);
        WriteMessage(model, 8, opsetId);
        foreach (var domain in nodeDomains)
        {
            // ONNX Runtime's contrib operators are all at version 1 of their domain.
            var import = new MemoryStream();
            WriteString(import, 1, domain);
            WriteVarintField(import, 2, 1);
            WriteMessage(model, 8, import);
        }

        return model.ToArray();
    }

    /// <summary>A Cast node to <paramref name="to"/>.</summary>
    public static OnnxNodeSpec Cast(string input, string output, TensorElementType to) =>
        new("Cast", [input], [output], new Dictionary<string, long> { ["to"] = (long)to });

    /// <summary>A float32 [1] Identity graph: the smallest model a provider must be able to run.</summary>
    public static byte[] IdentityProbe()
    {
        var x = new OnnxTensorInfo("x", TensorElementType.Float, [new TensorDimension(1, null)]);
        var y = x with { Name = "y" };
        return Build([x], [y], [new OnnxNodeSpec("Identity", ["x"], ["y"])]);
    }

    private static MemoryStream ValueInfo(OnnxTensorInfo tensor)
    {
        var tensorType = new MemoryStream();
        WriteVarintField(tensorType, 1, (ulong)(int)tensor.ElementType);
        if (tensor.Shape is { } shape)
        {
            var shapeProto = new MemoryStream();
            foreach (var dim in shape)
            {
                var d = new MemoryStream();
                if (dim.Value is { } v)
                {
                    WriteVarintField(d, 1, (ulong)v);
                }
                else if (dim.Name is { } name)
                {
                    WriteString(d, 2, name);
                }

                WriteMessage(shapeProto, 1, d);
            }

            WriteMessage(tensorType, 2, shapeProto);
        }

        var type = new MemoryStream();
        WriteMessage(type, 1, tensorType);
        var info = new MemoryStream();
        WriteString(info, 1, tensor.Name);
        WriteMessage(info, 2, type);
        return info;
    }

    private static void WriteVarint(Stream s, ulong value)
    {
        while (value >= 0x80)
        {
            s.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        s.WriteByte((byte)value);
    }

    private static void WriteVarintField(Stream s, int field, ulong value)
    {
        WriteVarint(s, (ulong)field << 3);
        WriteVarint(s, value);
    }

    private static void WriteBytes(Stream s, int field, ReadOnlySpan<byte> bytes)
    {
        WriteVarint(s, ((ulong)field << 3) | 2);
        WriteVarint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    private static void WriteString(Stream s, int field, string value) => WriteBytes(s, field, Encoding.UTF8.GetBytes(value));

    private static void WriteMessage(Stream s, int field, MemoryStream message) => WriteBytes(s, field, message.GetBuffer().AsSpan(0, (int)message.Length));
}
