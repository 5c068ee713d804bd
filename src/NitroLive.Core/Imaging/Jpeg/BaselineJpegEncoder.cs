using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace NitroLive.Core.Imaging.Jpeg;

/// <summary>
/// A baseline JPEG encoder (ITU-T T.81: YCbCr 4:2:0, 8-bit, the Annex K example tables) for live frames, that splits a
/// frame into horizontal stripes coded in parallel. Each stripe is one restart interval: the decoder resets its DC
/// predictions at each restart marker, so the stripes need nothing from each other and are simply concatenated, and
/// every decoder decodes the file as it would one coded in a single pass. One instance may serve many threads.
/// </summary>
public sealed class BaselineJpegEncoder
{
    // The AAN transform leaves coefficient (u, v) scaled by 8 * s(u) * s(v), s(0) = 1, s(k) = sqrt(2) cos(k pi / 16);
    // quantization divides that back out.
    private static readonly double[] AanScale = [1.0, 1.387039845, 1.306562965, 1.175875602, 1.0, 0.785694958, 0.541196100, 0.275899379];

    /// <summary>Frames are cut into stripes of at least this many pixels (256 x 256).</summary>
    private const long MinPixelsPerStripe = 256 * 256;

    /// <summary>Where each zigzag position's coefficient sits in the transposed block <see cref="ForwardDct"/> leaves.</summary>
    private static readonly byte[] TransposedZigZag = [.. JpegTables.ZigZag.ToArray().Select(n => (byte)(((n % 8) * 8) + (n / 8)))];

    // The Annex K Huffman tables do not depend on the quality: one set serves every encoder.
    private static readonly HuffmanCodes DcLuma = new(JpegTables.DcLuminanceCounts, JpegTables.DcLuminanceSymbols);
    private static readonly HuffmanCodes AcLuma = new(JpegTables.AcLuminanceCounts, JpegTables.AcLuminanceSymbols);
    private static readonly HuffmanCodes DcChroma = new(JpegTables.DcChrominanceCounts, JpegTables.DcChrominanceSymbols);
    private static readonly HuffmanCodes AcChroma = new(JpegTables.AcChrominanceCounts, JpegTables.AcChrominanceSymbols);

    private readonly byte[] _lumaQuantization;
    private readonly byte[] _chromaQuantization;
    private readonly float[] _lumaReciprocals;
    private readonly float[] _chromaReciprocals;

    /// <summary>Creates an encoder.</summary>
    /// <param name="quality">1 to 100, as in every JPEG tool (the IJG scaling of the Annex K tables).</param>
    /// <param name="maxParallelism">
    /// Most stripes coded at once; 1 codes the frame in one pass on the caller's thread. A frame is cut into one stripe per
    /// 65,536 pixels at most, so small frames stay in one pass whatever this says.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public BaselineJpegEncoder(int quality = 85, int maxParallelism = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParallelism, 1);
        Quality = quality;
        MaxParallelism = maxParallelism;
        _lumaQuantization = JpegTables.Scaled(JpegTables.LuminanceQuantization, quality);
        _chromaQuantization = JpegTables.Scaled(JpegTables.ChrominanceQuantization, quality);
        _lumaReciprocals = Reciprocals(_lumaQuantization);
        _chromaReciprocals = Reciprocals(_chromaQuantization);
    }

    /// <summary>The quality the tables were scaled to.</summary>
    public int Quality { get; }

    /// <summary>Most stripes coded at once.</summary>
    public int MaxParallelism { get; }

    /// <summary>How many stripes a frame of this size is cut into (1: one pass on the caller's thread).</summary>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <returns>The number of stripes.</returns>
    public int StripesFor(int width, int height) => new FrameShape(Math.Max(1, width), Math.Max(1, height), MaxParallelism).Stripes;

    /// <summary>Encodes one frame.</summary>
    /// <param name="rgb">Interleaved RGB24 pixels, row-major, <c>width*height*3</c> bytes.</param>
    /// <param name="width">Width in pixels, 1 to 65535.</param>
    /// <param name="height">Height in pixels, 1 to 65535.</param>
    /// <returns>The JPEG file.</returns>
    /// <exception cref="ArgumentException">The buffer does not hold a <paramref name="width"/> x <paramref name="height"/> image.</exception>
    public unsafe byte[] Encode(ReadOnlySpan<byte> rgb, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, ushort.MaxValue);
        if (3L * width * height != rgb.Length)
        {
            throw new ArgumentException($"A {width}x{height} RGB24 frame needs {3L * width * height} bytes; got {rgb.Length}.", nameof(rgb));
        }

        var frame = new FrameShape(width, height, MaxParallelism);
        var stripes = new JpegBitWriter[frame.Stripes];
        var estimate = Math.Max(1024, width * height / 4 / frame.Stripes);
        try
        {
            fixed (byte* pixels = rgb)
            {
                var address = (nint)pixels;
                if (frame.Stripes == 1)
                {
                    stripes[0] = EncodeStripe((byte*)address, frame, 0, estimate);
                }
                else
                {
                    Parallel.For(0, frame.Stripes, new ParallelOptions { MaxDegreeOfParallelism = MaxParallelism },
                        stripe => stripes[stripe] = EncodeStripe((byte*)address, frame, stripe, estimate));
                }
            }

            return Assemble(frame, stripes);
        }
        finally
        {
            foreach (var stripe in stripes)
            {
                stripe?.Release();
            }
        }
    }

    private static float[] Reciprocals(byte[] quantization)
    {
        var reciprocals = new float[64];
        for (var v = 0; v < 8; v++)
        {
            for (var u = 0; u < 8; u++)
            {
                // Transposed, as ForwardDct leaves the coefficients: (u, v) at u * 8 + v.
                reciprocals[(u * 8) + v] = (float)(1.0 / (quantization[(v * 8) + u] * AanScale[v] * AanScale[u] * 8.0));
            }
        }

        return reciprocals;
    }

    private unsafe JpegBitWriter EncodeStripe(byte* rgb, FrameShape frame, int stripe, int capacity)
    {
        var writer = new JpegBitWriter(capacity);
        Span<float> luma = stackalloc float[256];
        Span<float> cb = stackalloc float[64];
        Span<float> cr = stackalloc float[64];
        int previousY = 0, previousCb = 0, previousCr = 0;
        var firstRow = stripe * frame.StripeMcuRows;
        var endRow = Math.Min(frame.McuRows, firstRow + frame.StripeMcuRows);
        for (var mcuRow = firstRow; mcuRow < endRow; mcuRow++)
        {
            for (var mcuColumn = 0; mcuColumn < frame.McuColumns; mcuColumn++)
            {
                LoadMcu(rgb, frame.Width, frame.Height, mcuColumn * 16, mcuRow * 16, luma, cb, cr);
                for (var b = 0; b < 4; b++)
                {
                    previousY = EncodeBlock(writer, luma.Slice(b * 64, 64), _lumaReciprocals, previousY, DcLuma, AcLuma);
                }

                previousCb = EncodeBlock(writer, cb, _chromaReciprocals, previousCb, DcChroma, AcChroma);
                previousCr = EncodeBlock(writer, cr, _chromaReciprocals, previousCr, DcChroma, AcChroma);
            }
        }

        writer.Flush();
        return writer;
    }

    /// <summary>
    /// One 16x16 macroblock, level-shifted: its luma as four 8x8 blocks in coding order (top left, top right, bottom
    /// left, bottom right), and chroma from each 2x2 group's mean. Pixels past the right or bottom edge repeat the last
    /// column or row, so padding adds no false edge for the transform to spend bits on.
    /// </summary>
    private static unsafe void LoadMcu(byte* rgb, int width, int height, int x0, int y0, Span<float> luma, Span<float> cb, Span<float> cr)
    {
        // Offsets of the 16 columns, repeated past the right edge; rows likewise below the bottom edge.
        var inside = x0 + 16 <= width;
        Span<int> columns = stackalloc int[16];
        for (var x = 0; x < 16; x++)
        {
            columns[x] = (inside ? x0 + x : Math.Min(x0 + x, width - 1)) * 3;
        }

        var stride = (long)width * 3;
        for (var y = 0; y < 16; y += 2)
        {
            var top = rgb + (Math.Min(y0 + y, height - 1) * stride);
            var bottom = rgb + (Math.Min(y0 + y + 1, height - 1) * stride);
            var blockRow = (y >> 3) * 128;
            var lumaTop = luma.Slice(blockRow + ((y & 7) * 8));
            var lumaBottom = luma.Slice(blockRow + (((y + 1) & 7) * 8));
            for (var x = 0; x < 16; x += 2)
            {
                byte* p0 = top + columns[x], p1 = top + columns[x + 1], p2 = bottom + columns[x], p3 = bottom + columns[x + 1];
                var at = ((x >> 3) * 64) + (x & 7);
                lumaTop[at] = Luma(p0);
                lumaTop[at + 1] = Luma(p1);
                lumaBottom[at] = Luma(p2);
                lumaBottom[at + 1] = Luma(p3);

                // Chroma of the 2x2 group's mean colour: one conversion per group, the sums scaled by a quarter.
                float r = p0[0] + p1[0] + p2[0] + p3[0], g = p0[1] + p1[1] + p2[1] + p3[1], b = p0[2] + p1[2] + p2[2] + p3[2];
                var c = ((y >> 1) * 8) + (x >> 1);
                cb[c] = (-0.042184f * r) - (0.082816f * g) + (0.125f * b);
                cr[c] = (0.125f * r) - (0.104672f * g) - (0.020328f * b);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Luma(byte* pixel) => (0.299f * pixel[0]) + (0.587f * pixel[1]) + (0.114f * pixel[2]) - 128f;

    /// <summary>Transforms, quantizes and Huffman-codes one block; returns its quantized DC, the next block's prediction.</summary>
    private static int EncodeBlock(JpegBitWriter writer, Span<float> block, float[] reciprocals, int previousDc, HuffmanCodes dc, HuffmanCodes acCodes)
    {
        ForwardDct(block);

        // Quantized in natural order (eight lanes at a time where the CPU has them), read in zigzag order below; rounded
        // half away from zero.
        Span<int> natural = stackalloc int[64];
        var k0 = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var half = new Vector<float>(0.5f);
            for (; k0 <= 64 - Vector<float>.Count; k0 += Vector<float>.Count)
            {
                var scaled = new Vector<float>(block[k0..]) * new Vector<float>(reciprocals.AsSpan(k0));
                var rounded = scaled + Vector.ConditionalSelect(Vector.LessThan(scaled, Vector<float>.Zero), -half, half);
                Vector.ConvertToInt32(rounded).CopyTo(natural[k0..]);
            }
        }

        for (; k0 < 64; k0++)
        {
            var scaled = block[k0] * reciprocals[k0];
            natural[k0] = (int)(scaled + (scaled < 0 ? -0.5f : 0.5f));
        }

        // Zigzag order, and a bit per coefficient that is not zero: the AC loop below visits only those.
        Span<int> quantized = stackalloc int[64];
        var zigZag = TransposedZigZag;
        var nonZero = 0UL;
        for (var k = 0; k < 64; k++)
        {
            var value = natural[zigZag[k]];
            quantized[k] = value;
            nonZero |= (value != 0 ? 1UL : 0UL) << k;
        }

        // Each symbol's code and the value bits after it go out as one write.
        var diff = quantized[0] - previousDc;
        var category = Category(diff);
        writer.Write((dc.Codes[category] << category) | ValueBits(diff, category), dc.Sizes[category] + category);

        var last = 0;
        for (var ac = nonZero & ~1UL; ac != 0; ac &= ac - 1)
        {
            var k = BitOperations.TrailingZeroCount(ac);
            var run = k - last - 1;
            last = k;
            for (; run > 15; run -= 16)
            {
                writer.Write(acCodes.Codes[0xF0], acCodes.Sizes[0xF0]);
            }

            var value = quantized[k];
            category = Category(value);
            var symbol = (run << 4) | category;
            writer.Write((acCodes.Codes[symbol] << category) | ValueBits(value, category), acCodes.Sizes[symbol] + category);
        }

        if (last < 63)
        {
            writer.Write(acCodes.Codes[0x00], acCodes.Sizes[0x00]);
        }

        return quantized[0];
    }

    /// <summary>The <paramref name="category"/> bits that follow a symbol's code: the value, less one when negative (T.81 F.1.2.1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ValueBits(int value, int category) => (uint)((value < 0 ? value - 1 : value) & ((1 << category) - 1));

    /// <summary>Bits needed for |value| (T.81 F.1.2.1's SSSS).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Category(int value) => 32 - BitOperations.LeadingZeroCount((uint)Math.Abs(value));

    /// <summary>
    /// The AAN forward DCT (Arai, Agui and Nakajima, 1988), in place, output scaled as above and transposed: coefficient
    /// (u, v) at u * 8 + v. Where the CPU has 8-float vectors, one pass transforms all eight columns at once (a lane per
    /// column), the block is transposed, and a second pass does the rows; the transposition is left in, and the
    /// quantization and zigzag tables are transposed to match.
    /// </summary>
    private static void ForwardDct(Span<float> block)
    {
        if (Vector<float>.Count == 8)
        {
            ColumnsAtOnce(block);
            Transpose(block);
            ColumnsAtOnce(block);
            return;
        }

        for (var column = 0; column < 8; column++)
        {
            OneColumn(block, column);
        }

        Transpose(block);
        for (var column = 0; column < 8; column++)
        {
            OneColumn(block, column);
        }
    }

    private static void ColumnsAtOnce(Span<float> d)
    {
        var d0 = new Vector<float>(d[..8]);
        var d1 = new Vector<float>(d.Slice(8, 8));
        var d2 = new Vector<float>(d.Slice(16, 8));
        var d3 = new Vector<float>(d.Slice(24, 8));
        var d4 = new Vector<float>(d.Slice(32, 8));
        var d5 = new Vector<float>(d.Slice(40, 8));
        var d6 = new Vector<float>(d.Slice(48, 8));
        var d7 = new Vector<float>(d.Slice(56, 8));
        Vector<float> t0 = d0 + d7, t7 = d0 - d7, t1 = d1 + d6, t6 = d1 - d6;
        Vector<float> t2 = d2 + d5, t5 = d2 - d5, t3 = d3 + d4, t4 = d3 - d4;

        Vector<float> t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
        (t10 + t11).CopyTo(d[..8]);
        (t10 - t11).CopyTo(d.Slice(32, 8));
        var z1 = (t12 + t13) * 0.707106781f;
        (t13 + z1).CopyTo(d.Slice(16, 8));
        (t13 - z1).CopyTo(d.Slice(48, 8));

        t10 = t4 + t5;
        t11 = t5 + t6;
        t12 = t6 + t7;
        var z5 = (t10 - t12) * 0.382683433f;
        var z2 = (t10 * 0.541196100f) + z5;
        var z4 = (t12 * 1.306562965f) + z5;
        var z3 = t11 * 0.707106781f;
        var z11 = t7 + z3;
        var z13 = t7 - z3;
        (z13 + z2).CopyTo(d.Slice(40, 8));
        (z13 - z2).CopyTo(d.Slice(24, 8));
        (z11 + z4).CopyTo(d.Slice(8, 8));
        (z11 - z4).CopyTo(d.Slice(56, 8));
    }

    private static void OneColumn(Span<float> d, int c)
    {
        float d0 = d[c], d1 = d[8 + c], d2 = d[16 + c], d3 = d[24 + c], d4 = d[32 + c], d5 = d[40 + c], d6 = d[48 + c], d7 = d[56 + c];
        float t0 = d0 + d7, t7 = d0 - d7, t1 = d1 + d6, t6 = d1 - d6;
        float t2 = d2 + d5, t5 = d2 - d5, t3 = d3 + d4, t4 = d3 - d4;

        float t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
        d[c] = t10 + t11;
        d[32 + c] = t10 - t11;
        var z1 = (t12 + t13) * 0.707106781f;
        d[16 + c] = t13 + z1;
        d[48 + c] = t13 - z1;

        t10 = t4 + t5;
        t11 = t5 + t6;
        t12 = t6 + t7;
        var z5 = (t10 - t12) * 0.382683433f;
        var z2 = (0.541196100f * t10) + z5;
        var z4 = (1.306562965f * t12) + z5;
        var z3 = t11 * 0.707106781f;
        var z11 = t7 + z3;
        var z13 = t7 - z3;
        d[40 + c] = z13 + z2;
        d[24 + c] = z13 - z2;
        d[8 + c] = z11 + z4;
        d[56 + c] = z11 - z4;
    }

    private static void Transpose(Span<float> d)
    {
        for (var i = 1; i < 8; i++)
        {
            for (var j = 0; j < i; j++)
            {
                (d[(i * 8) + j], d[(j * 8) + i]) = (d[(j * 8) + i], d[(i * 8) + j]);
            }
        }
    }

    private byte[] Assemble(FrameShape frame, JpegBitWriter[] stripes)
    {
        Span<byte> header = stackalloc byte[1024];
        var length = WriteHeader(header, frame);
        var total = length + (2 * (stripes.Length - 1)) + 2;
        foreach (var stripe in stripes)
        {
            total += stripe.Written.Length;
        }

        var file = new byte[total];
        header[..length].CopyTo(file);
        var at = length;
        for (var i = 0; i < stripes.Length; i++)
        {
            stripes[i].Written.CopyTo(file.AsSpan(at));
            at += stripes[i].Written.Length;
            if (i < stripes.Length - 1)
            {
                file[at++] = 0xFF;
                file[at++] = (byte)(0xD0 + (i % 8));
            }
        }

        file[at++] = 0xFF;
        file[at] = 0xD9;
        return file;
    }

    private int WriteHeader(Span<byte> h, FrameShape frame)
    {
        var at = 0;
        void Marker(Span<byte> h, byte code, int length)
        {
            h[at++] = 0xFF;
            h[at++] = code;
            BinaryPrimitives.WriteUInt16BigEndian(h[at..], (ushort)length);
            at += 2;
        }

        void HuffmanTable(Span<byte> h, byte tableClass, ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols)
        {
            h[at++] = tableClass;
            counts.CopyTo(h[at..]);
            at += counts.Length;
            symbols.CopyTo(h[at..]);
            at += symbols.Length;
        }

        h[at++] = 0xFF;
        h[at++] = 0xD8;

        // APP0: JFIF 1.01, no density units, aspect 1:1, no thumbnail.
        Marker(h, 0xE0, 16);
        "JFIF\0"u8.CopyTo(h[at..]);
        at += 5;
        h[at++] = 1;
        h[at++] = 1;
        h[at++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(h[at..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(h[(at + 2)..], 1);
        at += 4;
        h[at++] = 0;
        h[at++] = 0;

        Marker(h, 0xDB, 2 + (2 * 65));
        for (var id = 0; id < 2; id++)
        {
            var table = id == 0 ? _lumaQuantization : _chromaQuantization;
            h[at++] = (byte)id;
            foreach (var natural in JpegTables.ZigZag)
            {
                h[at++] = table[natural];
            }
        }

        // SOF0: 8-bit samples; Y sampled 2x2 (table 0), Cb and Cr 1x1 (table 1).
        Marker(h, 0xC0, 8 + (3 * 3));
        h[at++] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(h[at..], (ushort)frame.Height);
        BinaryPrimitives.WriteUInt16BigEndian(h[(at + 2)..], (ushort)frame.Width);
        at += 4;
        h[at++] = 3;
        ReadOnlySpan<byte> components = [1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
        components.CopyTo(h[at..]);
        at += components.Length;

        Marker(h, 0xC4, 2 + (4 * 17) + 12 + 162 + 12 + 162);
        HuffmanTable(h, 0x00, JpegTables.DcLuminanceCounts, JpegTables.DcLuminanceSymbols);
        HuffmanTable(h, 0x10, JpegTables.AcLuminanceCounts, JpegTables.AcLuminanceSymbols);
        HuffmanTable(h, 0x01, JpegTables.DcChrominanceCounts, JpegTables.DcChrominanceSymbols);
        HuffmanTable(h, 0x11, JpegTables.AcChrominanceCounts, JpegTables.AcChrominanceSymbols);

        if (frame.Stripes > 1)
        {
            Marker(h, 0xDD, 4);
            BinaryPrimitives.WriteUInt16BigEndian(h[at..], (ushort)(frame.McuColumns * frame.StripeMcuRows));
            at += 2;
        }

        // SOS: the three components in one interleaved scan, all 64 coefficients, no successive approximation.
        Marker(h, 0xDA, 6 + (2 * 3));
        h[at++] = 3;
        ReadOnlySpan<byte> scan = [1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0];
        scan.CopyTo(h[at..]);
        at += scan.Length;
        return at;
    }

    /// <summary>Macroblocks of a frame and how they are cut into stripes (restart intervals of whole macroblock rows).</summary>
    private readonly record struct FrameShape
    {
        public FrameShape(int width, int height, int maxParallelism)
        {
            Width = width;
            Height = height;
            McuColumns = (width + 15) / 16;
            McuRows = (height + 15) / 16;

            // A stripe of fewer pixels than this costs more to hand to another thread than it saves (a 128 px frame is
            // coded in about 0.08 ms), and a restart interval counts macroblocks in 16 bits.
            var wanted = (int)Math.Clamp(((long)width * height) / MinPixelsPerStripe, 1, maxParallelism);
            var rows = Math.Max(1, (McuRows + wanted - 1) / wanted);
            StripeMcuRows = Math.Clamp(rows, 1, Math.Max(1, ushort.MaxValue / McuColumns));
            Stripes = (McuRows + StripeMcuRows - 1) / StripeMcuRows;
        }

        public int Width { get; }

        public int Height { get; }

        public int McuColumns { get; }

        public int McuRows { get; }

        public int StripeMcuRows { get; }

        public int Stripes { get; }
    }

    /// <summary>Code and length of each symbol of one Huffman table (T.81 Annex C).</summary>
    private sealed class HuffmanCodes
    {
        public HuffmanCodes(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols)
        {
            var code = 0;
            var k = 0;
            for (var length = 1; length <= 16; length++)
            {
                for (var i = 0; i < counts[length - 1]; i++)
                {
                    Codes[symbols[k]] = (uint)code;
                    Sizes[symbols[k]] = (byte)length;
                    k++;
                    code++;
                }

                code <<= 1;
            }
        }

        public uint[] Codes { get; } = new uint[256];

        public byte[] Sizes { get; } = new byte[256];
    }
}
