using System.Globalization;
using Microsoft.AspNetCore.Components;
using NitroLive.Core.Pipeline;
using NitroLive.Web.Live;

namespace NitroLive.Web.Components.Parts;

/// <summary>Steps, seed, model variant and size of the session's request.</summary>
public sealed partial class GenerationControls
{
    private object? _rendered;
    private long _shownSeed = -1;
    private int _seedResets;
    private string _seedText = string.Empty;
    private string? _seedError;

    // The largest integer every JSON client holds exactly (what the live service accepts).
    private const long MaxSeed = 9_007_199_254_740_991;

    private static readonly string SeedHint = string.Create(CultureInfo.InvariantCulture, $"A whole number from 0 to {MaxSeed}");

    /// <summary>The session's current request.</summary>
    [Parameter]
    [EditorRequired]
    public LiveRequest Request { get; set; } = default!;

    /// <summary>What the service accepts.</summary>
    [Parameter]
    [EditorRequired]
    public LiveLimits Limits { get; set; } = default!;

    /// <summary>The loaded model.</summary>
    [Parameter]
    [EditorRequired]
    public ModelDescription Model { get; set; } = default!;

    /// <summary>The variants the service offers (Realism, Vibrant); with one, the model's name is shown instead of a switch.</summary>
    [Parameter]
    public IReadOnlyList<LiveModelVariant> Variants { get; set; } = [];

    /// <summary>
    /// Changed by the page when it sets the seed itself (a restored thumbnail): what was typed in the seed field then gives
    /// way to the request's seed, also when that seed is the one already in use.
    /// </summary>
    [Parameter]
    public int SeedResets { get; set; }

    /// <summary>Read-only (viewers).</summary>
    [Parameter]
    public bool Disabled { get; set; }

    /// <summary>Called with the change the user made.</summary>
    [Parameter]
    public EventCallback<LiveRequestPatch> OnChange { get; set; }

    /// <summary>Called for "Variation": same prompt, new seed.</summary>
    [Parameter]
    public EventCallback OnVary { get; set; }

    // What the field is for now: a field that cannot be edited must not say how to apply an edit.
    private string? SeedHelp => Request.SeedMode != SeedMode.Fixed ? "This picture's; each prompt gets a new one"
        : Disabled ? null
        : "Enter or Tab applies it";

    /// <inheritdoc />
    /// <remarks>
    /// The page re-renders on every frame; these controls only when what they show changed. Re-rendering MudBlazor
    /// components re-issues their event handlers, which costs a render batch on the wire per frame for nothing.
    /// </remarks>
    protected override bool ShouldRender()
    {
        var key = (Request, Disabled, Limits, Model, Variants, _seedText, _seedError);
        if (Equals(key, _rendered))
        {
            return false;
        }

        _rendered = key;
        return true;
    }

    /// <inheritdoc />
    protected override void OnParametersSet()
    {
        // A seed set elsewhere (a restored thumbnail, Variation, another typist) replaces whatever was typed, error and all.
        if (Request.Seed != _shownSeed || SeedResets != _seedResets)
        {
            _shownSeed = Request.Seed;
            _seedResets = SeedResets;
            _seedText = Request.Seed.ToString(CultureInfo.InvariantCulture);
            _seedError = null;
        }
    }

    private static readonly SeedMode[] SeedModes = [SeedMode.Fixed, SeedMode.PerRequest];

    // The chosen item is the group's one tab stop, the others are reached with the arrow keys; a group whose choice is not
    // among its items (a value no longer offered) keeps its first item reachable.
    private static string RovingTabIndex<T>(T item, T chosen, IEnumerable<T> offered)
    {
        var comparer = EqualityComparer<T>.Default;
        var stop = comparer.Equals(item, chosen) || (!offered.Contains(chosen, comparer) && comparer.Equals(item, offered.First()));
        return stop ? "0" : "-1";
    }

    internal static string SizeKey(int width, int height) =>
        string.Create(CultureInfo.InvariantCulture, $"{width}x{height}");

    private string SizeLabel(int width, int height)
    {
        var label = string.Create(CultureInfo.InvariantCulture, $"{width}×{height}");
        return width == Model.NativeWidth && height == Model.NativeHeight ? label + " (native)" : label;
    }

    private bool DraftsUseTinyDecoder => Limits.VariantNamed(Request.ModelVariant)?.DraftsUseTinyDecoder ?? false;

    private string DraftsTitle => DraftsUseTinyDecoder
        ? "Each new prompt is drawn quickly first (a faster decoder, and one step), and in full when you pause"
        : "Each new prompt is drawn in one step first, and in all its steps when you pause";

    private Task OnDraftWhileTypingChanged(bool on) =>
        on == Request.DraftWhileTyping ? Task.CompletedTask : OnChange.InvokeAsync(new LiveRequestPatch(DraftWhileTyping: on));

    private Task OnStepsChanged(int steps) =>
        steps == Request.Steps ? Task.CompletedTask : OnChange.InvokeAsync(new LiveRequestPatch(Steps: steps));

    private Task OnSeedModeChanged(SeedMode mode) =>
        mode == Request.SeedMode ? Task.CompletedTask : OnChange.InvokeAsync(new LiveRequestPatch(SeedMode: mode));

    // What is typed is applied only when it is a seed: anything else stays in the field, marked, and the picture keeps the
    // seed in use (a number field would turn "abc" into 0 and draw with seed 0).
    private Task OnSeedTextChanged(string? text)
    {
        _seedText = text ?? string.Empty;
        if (!long.TryParse(_seedText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seed) || seed > MaxSeed)
        {
            _seedError = SeedHint;
            return Task.CompletedTask;
        }

        _seedError = null;
        return seed == Request.Seed ? Task.CompletedTask : OnChange.InvokeAsync(new LiveRequestPatch(Seed: seed));
    }

    private Task OnVariantChanged(string variant) =>
        variant == Request.ModelVariant ? Task.CompletedTask : OnChange.InvokeAsync(new LiveRequestPatch(ModelVariant: variant));

    private Task OnSizeChanged(string key)
    {
        foreach (var (width, height) in Limits.Sizes)
        {
            if (SizeKey(width, height) == key && (width != Request.Width || height != Request.Height))
            {
                return OnChange.InvokeAsync(new LiveRequestPatch(Width: width, Height: height));
            }
        }

        return Task.CompletedTask;
    }
}
