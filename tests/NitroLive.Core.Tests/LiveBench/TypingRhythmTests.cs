using NitroLive.Cli.LiveBench;

namespace NitroLive.Core.Tests.LiveBench;

public sealed class TypingRhythmTests
{
    [Fact]
    public void WithoutJitterEveryTypistStartsAtOnceAndKeepsTheCadence()
    {
        var rhythm = new TypingRhythm(typist: 3, cadenceMs: 80, jitterPercent: 0);

        Assert.Equal(0, rhythm.StartOffsetMs());
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(80, rhythm.NextIntervalMs());
        }
    }

    [Fact]
    public void JitteredIntervalsStayWithinTheBandAndAverageTheCadence()
    {
        var rhythm = new TypingRhythm(typist: 0, cadenceMs: 80, jitterPercent: 50);

        var intervals = Enumerable.Range(0, 20_000).Select(_ => rhythm.NextIntervalMs()).ToList();

        Assert.All(intervals, ms => Assert.InRange(ms, 40, 120));
        Assert.InRange(intervals.Average(), 79, 81);
        Assert.True(intervals.Min() < 45 && intervals.Max() > 115, "the draws should cover the whole band");
    }

    [Fact]
    public void JitteredTypistsStartOutOfStepWithinOneCadence()
    {
        var offsets = Enumerable.Range(0, 16).Select(i => new TypingRhythm(i, 80, 50).StartOffsetMs()).ToList();

        Assert.All(offsets, ms => Assert.InRange(ms, 0, 80));
        Assert.True(offsets.Distinct().Count() == offsets.Count, "every typist should have its own phase");
        Assert.True(offsets.Max() - offsets.Min() > 40, "the phases should spread over the cadence");
    }

    [Fact]
    public void TheSameTypistTypesTheSameRhythmInEveryRun()
    {
        var first = new TypingRhythm(5, 80, 30);
        var second = new TypingRhythm(5, 80, 30);

        Assert.Equal(first.StartOffsetMs(), second.StartOffsetMs());
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(first.NextIntervalMs(), second.NextIntervalMs());
        }
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(80, -1)]
    [InlineData(80, 101)]
    public void OutOfRangeSettingsAreRefused(int cadenceMs, int jitterPercent)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TypingRhythm(0, cadenceMs, jitterPercent));
    }
}
