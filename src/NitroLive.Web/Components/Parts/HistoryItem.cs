using NitroLive.Web.Live;

namespace NitroLive.Web.Components.Parts;

/// <summary>A frame in the history strip: what it showed and how to get it back.</summary>
/// <param name="Sequence">
/// The frame's sequence in its session (also the thumbnail's key in the browser); -1, -2, … for entries the browser kept
/// from before a reload, which no frame's sequence can be.
/// </param>
/// <param name="Request">The request it answered, with the seed used.</param>
public sealed record HistoryItem(long Sequence, LiveRequest Request);
