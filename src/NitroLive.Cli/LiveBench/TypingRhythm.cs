namespace NitroLive.Cli.LiveBench;

/// <summary>
/// When one simulated typist presses keys. People are not metronomes and do not start together: with a jitter above 0
/// each typist starts at its own point of the first interval and every interval is drawn uniformly from
/// cadence x (1 +/- jitter), so the mean stays the cadence. Jitter 0 is the lockstep of identical typists started at
/// once (every keystroke of every client in the same instant), which turns N clients into bursts of N requests.
/// Seeded by the typist's index, so a run types the same rhythm every time.
/// </summary>
internal sealed class TypingRhythm
{
    private readonly Random _random;
    private readonly double _cadenceMs;
    private readonly double _jitter;

    public TypingRhythm(int typist, int cadenceMs, int jitterPercent)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cadenceMs);
        ArgumentOutOfRangeException.ThrowIfNegative(jitterPercent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(jitterPercent, 100);
        _random = new Random(unchecked((typist * 7919) + 17));
        _cadenceMs = cadenceMs;
        _jitter = jitterPercent / 100.0;
    }

    /// <summary>How long this typist waits before its first keystroke: anywhere in one cadence, or 0 in lockstep.</summary>
    public double StartOffsetMs() => _jitter > 0 ? _random.NextDouble() * _cadenceMs : 0;

    /// <summary>Whether the next keystroke is a wrong letter first, with a chance of <paramref name="percent"/>%; no draw at 0.</summary>
    public bool Typo(int percent) => percent > 0 && _random.Next(100) < percent;

    /// <summary>The time from one keystroke to the next.</summary>
    public double NextIntervalMs() =>
        _jitter > 0 ? _cadenceMs * (1 + (_jitter * ((2 * _random.NextDouble()) - 1))) : _cadenceMs;
}
