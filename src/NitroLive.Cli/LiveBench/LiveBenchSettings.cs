namespace NitroLive.Cli.LiveBench;

/// <summary>What <c>bench live</c> runs.</summary>
// TyposPercent: the chance per keystroke (after a prompt's first) that a typist hits a wrong letter and takes it back
// with a backspace before typing the right one, each on the typist's rhythm; latest-wins mode only. Steps and Drafts
// set each typist's session's steps and drafts while typing (null: the server's defaults).
internal sealed record LiveBenchSettings(
    Uri Url, int Clients, TimeSpan Duration, TimeSpan Warmup, int CadenceMs, int JitterPercent, int PauseMs, TimeSpan FrameTimeout, IReadOnlyList<string> Modes,
    string Protocol, bool AllowRemote, int TyposPercent = 0, int? Steps = null, bool? Drafts = null);
