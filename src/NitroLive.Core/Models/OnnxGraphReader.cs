using System.Text;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace NitroLive.Core.Models;

/// <summary>The file is not a complete ONNX protobuf.</summary>
internal sealed class OnnxFormatException(string detail) : Exception(detail);

/// <summary>
/// Reads the graph inputs, outputs, operator domains and external-data references of an ONNX file straight from its
/// protobuf, seeking past node lists and weights, so a multi-gigabyte UNet is checked in milliseconds and before any
/// session exists.
/// Field numbers are those of onnx.proto3 (ModelProto.graph = 7, GraphProto.input = 11, ...).
/// </summary>
internal static class OnnxGraphReader
{
    public static OnnxGraphSignature Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        var reader = new ProtoReader(stream);
        long irVersion = 0, opset = 0;
        var domains = new List<string>();
        GraphParts? graph = null;
        long end = stream.Length;
        while (reader.Position < end)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1 when wire == 0:
                    irVersion = (long)reader.ReadVarint();
                    break;
                case 7 when wire == 2:
                    graph = ReadGraph(reader, reader.ReadMessageEnd(end));
                    break;
                case 8 when wire == 2:
                    var (domain, version) = ReadOpset(reader, reader.ReadMessageEnd(end));
                    if (domain is "" or "ai.onnx")
                    {
                        opset = version;
                    }
                    else if (!domains.Contains(domain, StringComparer.Ordinal))
                    {
                        domains.Add(domain);
                    }

                    break;
                default:
                    reader.Skip(wire, end);
                    break;
            }
        }

        if (graph is null || irVersion <= 0)
        {
            throw new OnnxFormatException(graph is null ? "no graph" : "no ir_version");
        }

        var inputs = graph.Inputs.Where(i => !graph.InitializerNames.Contains(i.Name)).ToList();
        return new OnnxGraphSignature(irVersion, opset, inputs, graph.Outputs, graph.ExternalData) { OperatorDomains = domains };
    }

    private sealed class GraphParts
    {
        public List<OnnxTensorInfo> Inputs { get; } = [];
        public List<OnnxTensorInfo> Outputs { get; } = [];
        public HashSet<string> InitializerNames { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, long> ExternalData { get; } = new(StringComparer.Ordinal);
    }

    private static GraphParts ReadGraph(ProtoReader reader, long end)
    {
        var parts = new GraphParts();
        while (reader.Position < end)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 5 when wire == 2:
                    ReadInitializer(reader, reader.ReadMessageEnd(end), parts);
                    break;
                case 11 when wire == 2:
                    parts.Inputs.Add(ReadValueInfo(reader, reader.ReadMessageEnd(end)));
                    break;
                case 12 when wire == 2:
                    parts.Outputs.Add(ReadValueInfo(reader, reader.ReadMessageEnd(end)));
                    break;
                default:
                    reader.Skip(wire, end);
                    break;
            }
        }

        reader.ExpectAt(end);
        return parts;
    }

    private static (string Domain, long Version) ReadOpset(ProtoReader reader, long end)
    {
        string domain = string.Empty;
        long version = 0;
        while (reader.Position < end)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == 2)
            {
                domain = reader.ReadString(end);
            }
            else if (field == 2 && wire == 0)
            {
                version = (long)reader.ReadVarint();
            }
            else
            {
                reader.Skip(wire, end);
            }
        }

        reader.ExpectAt(end);
        return (domain, version);
    }

    // TensorProto: dims = 1, data_type = 2, name = 8, external_data = 13 (key = 1, value = 2), data_location = 14.
    private static void ReadInitializer(ProtoReader reader, long end, GraphParts parts)
    {
        string? name = null, location = null;
        long offset = 0, length = -1, elementCount = 1;
        var dataType = 0;
        while (reader.Position < end)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1 when wire == 0:
                    elementCount *= (long)reader.ReadVarint();
                    break;
                case 1 when wire == 2:
                    var packedEnd = reader.ReadMessageEnd(end);
                    while (reader.Position < packedEnd)
                    {
                        elementCount *= (long)reader.ReadVarint();
                    }

                    reader.ExpectAt(packedEnd);
                    break;
                case 2 when wire == 0:
                    dataType = (int)reader.ReadVarint();
                    break;
                case 8 when wire == 2:
                    name = reader.ReadString(end);
                    break;
                case 13 when wire == 2:
                    var entryEnd = reader.ReadMessageEnd(end);
                    string? key = null, value = null;
                    while (reader.Position < entryEnd)
                    {
                        var (f, w) = reader.ReadTag();
                        if (f == 1 && w == 2)
                        {
                            key = reader.ReadString(entryEnd);
                        }
                        else if (f == 2 && w == 2)
                        {
                            value = reader.ReadString(entryEnd);
                        }
                        else
                        {
                            reader.Skip(w, entryEnd);
                        }
                    }

                    reader.ExpectAt(entryEnd);
                    switch (key)
                    {
                        case "location":
                            location = value;
                            break;
                        case "offset" when long.TryParse(value, out var o):
                            offset = o;
                            break;
                        case "length" when long.TryParse(value, out var l):
                            length = l;
                            break;
                    }

                    break;
                default:
                    reader.Skip(wire, end);
                    break;
            }
        }

        reader.ExpectAt(end);
        if (name is not null)
        {
            parts.InitializerNames.Add(name);
        }

        if (location is not null)
        {
            if (length < 0)
            {
                var size = (TensorElementType)dataType switch
                {
                    TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 4,
                    TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Int16 or TensorElementType.UInt16 => 2,
                    TensorElementType.Double or TensorElementType.Int64 or TensorElementType.UInt64 => 8,
                    TensorElementType.Int8 or TensorElementType.UInt8 or TensorElementType.Bool => 1,
                    _ => 0,
                };
                length = elementCount * size;
            }

            var needed = offset + Math.Max(length, 0);
            parts.ExternalData[location] = Math.Max(parts.ExternalData.GetValueOrDefault(location), needed);
        }
    }

    // ValueInfoProto: name = 1, type = 2. TypeProto: tensor_type = 1. Tensor: elem_type = 1, shape = 2.
    // TensorShapeProto: dim = 1. Dimension: dim_value = 1, dim_param = 2.
    private static OnnxTensorInfo ReadValueInfo(ProtoReader reader, long end)
    {
        string name = string.Empty;
        var elementType = TensorElementType.DataTypeMax;
        List<TensorDimension>? shape = null;
        while (reader.Position < end)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == 2)
            {
                name = reader.ReadString(end);
            }
            else if (field == 2 && wire == 2)
            {
                var typeEnd = reader.ReadMessageEnd(end);
                while (reader.Position < typeEnd)
                {
                    var (tf, tw) = reader.ReadTag();
                    if (tf == 1 && tw == 2)
                    {
                        (elementType, shape) = ReadTensorType(reader, reader.ReadMessageEnd(typeEnd));
                    }
                    else
                    {
                        reader.Skip(tw, typeEnd);
                    }
                }

                reader.ExpectAt(typeEnd);
            }
            else
            {
                reader.Skip(wire, end);
            }
        }

        reader.ExpectAt(end);
        return new OnnxTensorInfo(name, elementType, shape);
    }

    private static (TensorElementType, List<TensorDimension>?) ReadTensorType(ProtoReader reader, long end)
    {
        var elementType = TensorElementType.DataTypeMax;
        List<TensorDimension>? shape = null;
        while (reader.Position < end)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == 0)
            {
                elementType = (TensorElementType)(int)reader.ReadVarint();
            }
            else if (field == 2 && wire == 2)
            {
                var shapeEnd = reader.ReadMessageEnd(end);
                shape = [];
                while (reader.Position < shapeEnd)
                {
                    var (sf, sw) = reader.ReadTag();
                    if (sf == 1 && sw == 2)
                    {
                        shape.Add(ReadDimension(reader, reader.ReadMessageEnd(shapeEnd)));
                    }
                    else
                    {
                        reader.Skip(sw, shapeEnd);
                    }
                }

                reader.ExpectAt(shapeEnd);
            }
            else
            {
                reader.Skip(wire, end);
            }
        }

        reader.ExpectAt(end);
        return (elementType, shape);
    }

    private static TensorDimension ReadDimension(ProtoReader reader, long end)
    {
        long? value = null;
        string? param = null;
        while (reader.Position < end)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == 0)
            {
                value = (long)reader.ReadVarint();
            }
            else if (field == 2 && wire == 2)
            {
                param = reader.ReadString(end);
            }
            else
            {
                reader.Skip(wire, end);
            }
        }

        reader.ExpectAt(end);

        // Exporters write -1 or 0 for "unknown" in some versions; neither is a usable fixed size.
        return value is > 0 ? new TensorDimension(value, null) : new TensorDimension(null, param);
    }

    private sealed class ProtoReader(FileStream stream)
    {
        public long Position => stream.Position;

        public (int Field, int Wire) ReadTag()
        {
            var key = ReadVarint();
            var field = (int)(key >> 3);
            if (field <= 0 || key >> 3 > int.MaxValue)
            {
                throw new OnnxFormatException("bad field number");
            }

            return (field, (int)(key & 7));
        }

        public ulong ReadVarint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = stream.ReadByte();
                if (b < 0)
                {
                    throw new OnnxFormatException("unexpected end of file");
                }

                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return result;
                }
            }

            throw new OnnxFormatException("varint too long");
        }

        /// <summary>Reads a length prefix and returns where that sub-message ends, checked against its parent.</summary>
        public long ReadMessageEnd(long parentEnd)
        {
            var length = ReadVarint();
            if (length > (ulong)(parentEnd - Position))
            {
                throw new OnnxFormatException("length runs past the end of its parent");
            }

            return Position + (long)length;
        }

        public string ReadString(long parentEnd)
        {
            var end = ReadMessageEnd(parentEnd);
            var bytes = new byte[end - Position];
            stream.ReadExactly(bytes);
            return Encoding.UTF8.GetString(bytes);
        }

        public void Skip(int wire, long parentEnd)
        {
            switch (wire)
            {
                case 0:
                    ReadVarint();
                    break;
                case 1:
                    Advance(8, parentEnd);
                    break;
                case 2:
                    var end = ReadMessageEnd(parentEnd);
                    stream.Seek(end, SeekOrigin.Begin);
                    break;
                case 5:
                    Advance(4, parentEnd);
                    break;
                default:
                    throw new OnnxFormatException($"unsupported wire type {wire}");
            }

            if (Position > parentEnd)
            {
                throw new OnnxFormatException("field runs past the end of its parent");
            }
        }

        public void ExpectAt(long end)
        {
            if (Position != end)
            {
                throw new OnnxFormatException("sub-message length mismatch");
            }
        }

        private void Advance(long count, long parentEnd)
        {
            if (count > parentEnd - Position)
            {
                throw new OnnxFormatException("field runs past the end of its parent");
            }

            stream.Seek(count, SeekOrigin.Current);
        }
    }
}
