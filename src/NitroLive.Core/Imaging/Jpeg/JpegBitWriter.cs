using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace NitroLive.Core.Imaging.Jpeg;

/// <summary>
/// Entropy-coded bytes of one restart interval: bits packed most significant first, each 0xFF byte followed by a
/// stuffed 0x00 (T.81 F.1.2.3), into a pooled buffer that grows as needed. Return it with <see cref="Release"/>.
/// </summary>
internal sealed class JpegBitWriter
{
    private byte[] _buffer;
    private int _length;
    private ulong _bits;
    private int _count;

    public JpegBitWriter(int capacity) => _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(256, capacity));

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>Appends the low <paramref name="size"/> bits of <paramref name="value"/> (size 0 to 32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(uint value, int size)
    {
        // Under 32 bits wait between calls, so at most 63 are held.
        _bits = (_bits << size) | (value & (uint)((1UL << size) - 1));
        _count += size;
        if (_count >= 32)
        {
            EmitWord();
        }
    }

    /// <summary>Pads the last byte with one bits, as a restart marker or the end of the scan requires.</summary>
    public void Flush()
    {
        if ((_count & 7) != 0)
        {
            Write(uint.MaxValue, 8 - (_count & 7));
        }

        while (_count >= 8)
        {
            _count -= 8;
            EmitByte((byte)(_bits >> _count));
        }
    }

    public void Release()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _length = 0;
    }

    private void EmitWord()
    {
        _count -= 32;
        var word = (uint)(_bits >> _count);
        if (_length + 8 > _buffer.Length)
        {
            Grow();
        }

        // A byte of all ones needs a zero byte after it; most words have none and go out in one store.
        var inverted = ~word;
        if (((inverted - 0x01010101u) & ~inverted & 0x80808080u) == 0)
        {
            BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length), word);
            _length += 4;
            return;
        }

        EmitByte((byte)(word >> 24));
        EmitByte((byte)(word >> 16));
        EmitByte((byte)(word >> 8));
        EmitByte((byte)word);
    }

    private void EmitByte(byte value)
    {
        if (_length + 2 > _buffer.Length)
        {
            Grow();
        }

        _buffer[_length++] = value;
        if (value == 0xFF)
        {
            _buffer[_length++] = 0;
        }
    }

    private void Grow()
    {
        var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
