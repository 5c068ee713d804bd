using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NitroLive.Core.Imaging;

/// <summary>
/// Turns a VAE decoder output (one image, NCHW <c>[3, H, W]</c>, values in [-1, 1]) into interleaved 8-bit RGB,
/// with the same numbers diffusers produces: <c>(x/2 + 0.5).clamp(0, 1)</c>, then numpy's
/// <c>(x * 255).round().astype("uint8")</c> (round half to even).
/// </summary>
public static class PixelConversion
{
    // Pixels per chunk: the three converted planes of a chunk live on the stack before they are interleaved.
    private const int ChunkPixels = 1024;

    // Adding and subtracting 2^23 rounds a float in [0, 2^23) to an integer, ties to even, like numpy's round.
    private const float RoundingMagic = 8388608f;

    /// <summary>Converts a float32 <c>[3, height, width]</c> image in [-1, 1] to <c>height*width*3</c> RGB bytes.</summary>
    /// <param name="chw">The planes R, G, B, each row-major.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="rgb">Receives the interleaved pixels, row-major.</param>
    /// <exception cref="ArgumentException">A size does not match.</exception>
    /// <remarks>NaN becomes 0; values outside [-1, 1] are clamped.</remarks>
    public static void ToRgb24(ReadOnlySpan<float> chw, int width, int height, Span<byte> rgb)
    {
        var pixels = CheckSizes(chw, width, height, rgb);
        Span<byte> planes = stackalloc byte[3 * ChunkPixels];
        for (var start = 0; start < pixels; start += ChunkPixels)
        {
            var count = Math.Min(ChunkPixels, pixels - start);
            for (var channel = 0; channel < 3; channel++)
            {
                ToBytes(chw.Slice((channel * pixels) + start, count), planes.Slice(channel * ChunkPixels, count), halfPrecision: false);
            }

            Interleave(planes, count, rgb.Slice(start * 3, count * 3));
        }
    }

    /// <summary>
    /// Converts a float16 <c>[3, height, width]</c> image in [-1, 1] (an fp16 VAE's output) to RGB bytes.
    /// <c>x/2 + 0.5</c> is rounded to float16 as torch does on half tensors before the float32 <c>* 255</c>.
    /// </summary>
    /// <param name="chw">The planes R, G, B, each row-major.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="rgb">Receives the interleaved pixels, row-major.</param>
    /// <exception cref="ArgumentException">A size does not match.</exception>
    public static void ToRgb24(ReadOnlySpan<Half> chw, int width, int height, Span<byte> rgb)
    {
        var pixels = CheckSizes(chw, width, height, rgb);
        Span<byte> planes = stackalloc byte[3 * ChunkPixels];
        Span<float> widened = stackalloc float[ChunkPixels];
        for (var start = 0; start < pixels; start += ChunkPixels)
        {
            var count = Math.Min(ChunkPixels, pixels - start);
            for (var channel = 0; channel < 3; channel++)
            {
                var floats = widened[..count];
                HalfToSingle(chw.Slice((channel * pixels) + start, count), floats);
                ToBytes(floats, planes.Slice(channel * ChunkPixels, count), halfPrecision: true);
            }

            Interleave(planes, count, rgb.Slice(start * 3, count * 3));
        }
    }

    private static int CheckSizes<T>(ReadOnlySpan<T> chw, int width, int height, Span<byte> rgb)
    {
        var chwLength = chw.Length;
        var rgbLength = rgb.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var values = 3L * width * height;
        if (values > int.MaxValue)
        {
            throw new ArgumentException($"A {width}x{height} image is too large.", nameof(width));
        }

        if (chwLength != values)
        {
            throw new ArgumentException($"A {width}x{height} image needs {values} values in [3, H, W] order; got {chwLength}.", nameof(chw));
        }

        if (rgbLength != values)
        {
            throw new ArgumentException($"A {width}x{height} RGB24 image needs {values} bytes; the destination has {rgbLength}.", nameof(rgb));
        }

        return width * height;
    }

    private static void ToBytes(ReadOnlySpan<float> source, Span<byte> destination, bool halfPrecision)
    {
        var length = source.Length;
        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var i = 0;

        // Four float vectors narrow to one byte vector.
        var block = 4 * Vector<float>.Count;
        if (Vector.IsHardwareAccelerated && length >= block)
        {
            for (; i <= length - block; i += block)
            {
                var a = ToIntegers(Vector.LoadUnsafe(ref src, (nuint)i), halfPrecision);
                var b = ToIntegers(Vector.LoadUnsafe(ref src, (nuint)(i + Vector<float>.Count)), halfPrecision);
                var c = ToIntegers(Vector.LoadUnsafe(ref src, (nuint)(i + (2 * Vector<float>.Count))), halfPrecision);
                var d = ToIntegers(Vector.LoadUnsafe(ref src, (nuint)(i + (3 * Vector<float>.Count))), halfPrecision);
                Vector.Narrow(Vector.Narrow(a, b), Vector.Narrow(c, d)).StoreUnsafe(ref dst, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref dst, i) = ToByte(Unsafe.Add(ref src, i), halfPrecision);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<uint> ToIntegers(Vector<float> x, bool halfPrecision)
    {
        // Two roundings, as torch evaluates `x / 2` and `+ 0.5` as separate kernels (halving is exact anyway).
        var v = (x * 0.5f) + new Vector<float>(0.5f);

        // Written as selects so that NaN fails both comparisons and ends up 0.
        v = Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, Vector<float>.Zero);
        v = Vector.ConditionalSelect(Vector.LessThan(v, Vector<float>.One), v, Vector<float>.One);
        if (halfPrecision)
        {
            v = RoundToHalfPrecision(v);
        }

        var scaled = v * 255f;
        var rounded = (scaled + new Vector<float>(RoundingMagic)) - new Vector<float>(RoundingMagic);
        return Vector.AsVectorUInt32(Vector.ConvertToInt32(rounded));
    }

    /// <summary>
    /// Rounds floats in [0, 1] to the nearest float16 value (ties to even) by dropping 13 mantissa bits. Half
    /// subnormals (below 2^-14) are rounded as if normal; they are all below 1/255 and become 0 either way.
    /// </summary>
    private static Vector<float> RoundToHalfPrecision(Vector<float> v)
    {
        var bits = Vector.AsVectorUInt32(v);
        var lsb = Vector.BitwiseAnd(Vector.ShiftRightLogical(bits, 13), Vector<uint>.One);
        bits = Vector.BitwiseAnd(bits + new Vector<uint>(0x0FFFu) + lsb, new Vector<uint>(0xFFFFE000u));
        return Vector.AsVectorSingle(bits);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte ToByte(float x, bool halfPrecision)
    {
        var v = (x * 0.5f) + 0.5f;
        v = v > 0f ? v : 0f;
        v = v < 1f ? v : 1f;
        if (halfPrecision)
        {
            var bits = BitConverter.SingleToUInt32Bits(v);
            bits = (bits + 0x0FFFu + ((bits >> 13) & 1u)) & 0xFFFFE000u;
            v = BitConverter.UInt32BitsToSingle(bits);
        }

        return (byte)((v * 255f) + RoundingMagic - RoundingMagic);
    }

    /// <summary>IEEE binary16 to binary32, exact for every input (normals, subnormals, infinities, NaN).</summary>
    private static void HalfToSingle(ReadOnlySpan<Half> source, Span<float> destination)
    {
        var length = source.Length;
        ref var src = ref Unsafe.As<Half, ushort>(ref MemoryMarshal.GetReference(source));
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var i = 0;
        if (Vector.IsHardwareAccelerated && length >= Vector<ushort>.Count)
        {
            for (; i <= length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref src, (nuint)i), out var low, out var high);
                WidenHalfBits(low).StoreUnsafe(ref dst, (nuint)i);
                WidenHalfBits(high).StoreUnsafe(ref dst, (nuint)(i + Vector<uint>.Count));
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref dst, i) = (float)BitConverter.UInt16BitsToHalf(Unsafe.Add(ref src, i));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> WidenHalfBits(Vector<uint> h)
    {
        var sign = Vector.ShiftLeft(Vector.BitwiseAnd(h, new Vector<uint>(0x8000u)), 16);
        var magnitude = Vector.BitwiseAnd(h, new Vector<uint>(0x7FFFu));

        // Normal numbers: move exponent and mantissa into place and rebias the exponent (127 - 15 = 112).
        var normal = Vector.ShiftLeft(magnitude, 13) + new Vector<uint>(112u << 23);

        // Infinity and NaN: the exponent is all ones in both formats.
        var special = Vector.ShiftLeft(magnitude, 13) | new Vector<uint>(0x7F800000u);

        // Zero and subnormals: the value is mantissa * 2^-24, exact in float32.
        var subnormal = Vector.AsVectorUInt32(Vector.ConvertToSingle(magnitude) * new Vector<float>(5.9604645E-08f));

        var result = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(magnitude, new Vector<uint>(0x7C00u)), special, normal);
        result = Vector.ConditionalSelect(Vector.LessThan(magnitude, new Vector<uint>(0x0400u)), subnormal, result);
        return Vector.AsVectorSingle(result | sign);
    }

    private static void Interleave(ReadOnlySpan<byte> planes, int count, Span<byte> rgb)
    {
        // Callers pass planes of 3 * ChunkPixels bytes and rgb of exactly 3 * count bytes, so no index leaves them.
        ref var r = ref MemoryMarshal.GetReference(planes);
        ref var g = ref Unsafe.Add(ref r, ChunkPixels);
        ref var b = ref Unsafe.Add(ref r, 2 * ChunkPixels);
        ref var output = ref MemoryMarshal.GetReference(rgb);
        for (var i = 0; i < count; i++)
        {
            ref var pixel = ref Unsafe.Add(ref output, 3 * i);
            pixel = Unsafe.Add(ref r, i);
            Unsafe.Add(ref pixel, 1) = Unsafe.Add(ref g, i);
            Unsafe.Add(ref pixel, 2) = Unsafe.Add(ref b, i);
        }
    }
}
