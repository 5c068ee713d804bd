namespace NitroLive.Core.Text;

/// <summary>Inclusive code point ranges, each with a value, found by binary search once <see cref="Seal"/> sorted them.</summary>
internal sealed class CodePointRanges<T>
{
    private readonly List<(int Start, int End, T Value)> _ranges = [];

    public void Add(int start, int end, T value) => _ranges.Add((start, end, value));

    /// <summary>Sorts by start; call once after the last <see cref="Add"/>. The ranges must not overlap.</summary>
    public void Seal() => _ranges.Sort(static (a, b) => a.Start.CompareTo(b.Start));

    public bool Contains(int codePoint) => TryFind(codePoint, out _);

    public bool TryFind(int codePoint, out T value)
    {
        var ranges = _ranges;
        int lo = 0, hi = ranges.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var r = ranges[mid];
            if (codePoint < r.Start)
            {
                hi = mid - 1;
            }
            else if (codePoint > r.End)
            {
                lo = mid + 1;
            }
            else
            {
                value = r.Value;
                return true;
            }
        }

        value = default!;
        return false;
    }
}
