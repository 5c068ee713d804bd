using System.Runtime.CompilerServices;
using System.Text.Json;
using NitroLive.Web.Components.Parts;
using NitroLive.Web.Live;

namespace NitroLive.Web.Components.Services;

/// <summary>
/// The history strip as the browser kept it for a reload (<c>frames.js</c>, <c>restoreThumbs</c>): entries of
/// <c>{ "id": -1, "request": { … } }</c> whose thumbnails the browser holds under those ids. The browser's storage is
/// the person's to edit, so whatever it returns is read defensively: an entry that does not make sense is left out, and
/// text that is not JSON reads as no history. Restoring an entry sends its request through the live service's own
/// checks like any other change.
/// </summary>
internal static class SavedHistory
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // By instance: the strip renders on every frame while a prompt is typed, its entries' requests rarely change.
    private static readonly ConditionalWeakTable<LiveRequest, string> Serialized = [];

    /// <summary>An entry's request as the browser keeps it (the strip's <c>data-request</c>).</summary>
    public static string Serialize(LiveRequest request) =>
        Serialized.GetValue(request, static r => JsonSerializer.Serialize(r, Json));

    /// <summary>
    /// The entries of <paramref name="saved"/>, at most <paramref name="limit"/>, in order. Ids are negative (the
    /// browser numbers restored thumbnails -1, -2, … so that no frame of any session shares one) and distinct.
    /// </summary>
    public static IReadOnlyList<HistoryItem> Parse(string? saved, int limit, int maxPromptLength)
    {
        if (string.IsNullOrEmpty(saved))
        {
            return [];
        }

        Entry?[]? entries;
        try
        {
            entries = JsonSerializer.Deserialize<Entry?[]>(saved, Json);
        }
        catch (JsonException)
        {
            return [];
        }

        var items = new List<HistoryItem>();
        var ids = new HashSet<long>();
        foreach (var entry in entries ?? [])
        {
            if (items.Count >= limit)
            {
                break;
            }

            if (entry is { Id: < 0 and var id, Request: { } request } && IsSensible(request, maxPromptLength) && ids.Add(id))
            {
                items.Add(new HistoryItem(id, request));
            }
        }

        return items;
    }

    private static bool IsSensible(LiveRequest request, int maxPromptLength) =>
        // The deserializer leaves a missing string null despite the record's annotations.
        request.Prompt is { Length: > 0 } prompt && prompt.Length <= maxPromptLength
        && request.ModelVariant is not null
        && request.Steps > 0 && request.Width > 0 && request.Height > 0
        && Enum.IsDefined(request.SeedMode);

    private sealed record Entry(long Id, LiveRequest? Request);
}
