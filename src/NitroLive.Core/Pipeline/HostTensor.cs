using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NitroLive.Core.Models;

namespace NitroLive.Core.Pipeline;

/// <summary>
/// A tensor in pinned host memory wrapped once in an <see cref="OrtValue"/>: allocated per shape and reused for every
/// run, written and read in the element type the model declares (float32/float16, int64/int32).
/// </summary>
internal sealed class HostTensor : IDisposable
{
    private readonly byte[] _bytes;

    public HostTensor(TensorElementType elementType, long[] shape)
    {
        ElementType = elementType;
        Shape = shape;
        Length = checked((int)shape.Aggregate(1L, (a, b) => a * b));
        var byteCount = checked(Length * OnnxElementTypes.Size(elementType));
        _bytes = GC.AllocateArray<byte>(Math.Max(byteCount, 1), pinned: true);
        Value = OrtValue.CreateTensorValueWithData(
            OrtMemoryInfo.DefaultInstance, elementType, shape, Marshal.UnsafeAddrOfPinnedArrayElement(_bytes, 0), byteCount);
    }

    public TensorElementType ElementType { get; }

    public long[] Shape { get; }

    public int Length { get; }

    public OrtValue Value { get; }

    public Span<T> As<T>() where T : unmanaged => MemoryMarshal.Cast<byte, T>(_bytes.AsSpan(0, Length * OnnxElementTypes.Size(ElementType)));

    public void WriteFloats(int offset, ReadOnlySpan<float> values)
    {
        switch (ElementType)
        {
            case TensorElementType.Float:
                values.CopyTo(As<float>()[offset..]);
                break;
            case TensorElementType.Float16:
                TensorPrimitives.ConvertToHalf(values, As<Half>().Slice(offset, values.Length));
                break;
            default:
                throw new InvalidOperationException($"cannot write floats into a {OnnxElementTypes.Name(ElementType)} tensor");
        }
    }

    public void ReadFloats(int offset, Span<float> destination)
    {
        switch (ElementType)
        {
            case TensorElementType.Float:
                As<float>().Slice(offset, destination.Length).CopyTo(destination);
                break;
            case TensorElementType.Float16:
                TensorPrimitives.ConvertToSingle(As<Half>().Slice(offset, destination.Length), destination);
                break;
            default:
                throw new InvalidOperationException($"cannot read floats from a {OnnxElementTypes.Name(ElementType)} tensor");
        }
    }

    public void WriteIds(ReadOnlySpan<long> ids)
    {
        switch (ElementType)
        {
            case TensorElementType.Int64:
                ids.CopyTo(As<long>());
                break;
            case TensorElementType.Int32:
                var ints = As<int>();
                for (var i = 0; i < ids.Length; i++)
                {
                    ints[i] = checked((int)ids[i]);
                }

                break;
            default:
                throw new InvalidOperationException($"cannot write token ids into a {OnnxElementTypes.Name(ElementType)} tensor");
        }
    }

    /// <summary>Sets every element to <paramref name="value"/> in the declared type (timesteps are whole numbers).</summary>
    public void Fill(double value)
    {
        switch (ElementType)
        {
            case TensorElementType.Int64:
                As<long>().Fill((long)value);
                break;
            case TensorElementType.Int32:
                As<int>().Fill((int)value);
                break;
            case TensorElementType.Float:
                As<float>().Fill((float)value);
                break;
            case TensorElementType.Float16:
                As<Half>().Fill((Half)value);
                break;
            default:
                throw new InvalidOperationException($"cannot fill a {OnnxElementTypes.Name(ElementType)} tensor");
        }
    }

    public void Dispose() => Value.Dispose();
}
