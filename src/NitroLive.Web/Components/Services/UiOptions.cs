using System.ComponentModel.DataAnnotations;

namespace NitroLive.Web.Components.Services;

/// <summary>Options of the web UI, bound from <c>NitroLive:Ui</c> and validated at startup.</summary>
public sealed class UiOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "NitroLive:Ui";

    /// <summary>
    /// Where the demo/CPU banner sends people to learn how to run a real model: the README's "Real models" section.
    /// The app serves the README itself at <c>/readme</c>, so the default works offline.
    /// </summary>
    [Required]
    public string RealModelsUrl { get; set; } = "/readme#real-models";

    /// <summary>How many recent frames the history strip keeps.</summary>
    [Range(1, 48)]
    public int HistoryLength { get; set; } = 12;

    /// <summary>
    /// The public base URL of the app (https://nitro.example.org/) for share links and kiosk QR codes, when it sits
    /// behind a proxy that hides its address; empty to use the address the browser used.
    /// </summary>
    [Url]
    public string? PublicBaseUrl { get; set; }
}

/// <summary>Options of the kiosk page, bound from <c>NitroLive:Kiosk</c> and validated at startup.</summary>
public sealed class KioskOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "NitroLive:Kiosk";

    /// <summary>Seconds without a prompt change before the kiosk starts cycling <see cref="Playlist"/>.</summary>
    [Range(3, 86_400)]
    public int AttractAfterSeconds { get; set; } = 45;

    /// <summary>Seconds each playlist prompt stays on screen in attract mode.</summary>
    [Range(1, 3_600)]
    public int AttractIntervalSeconds { get; set; } = 8;

    /// <summary>
    /// Prompts the attract mode cycles through, in order. Empty (the default): the model's own example prompts
    /// (nitrolive.json's <c>example_prompts</c>), pictures it is known to draw well.
    /// </summary>
    [Required]
    public string[] Playlist { get; set; } = [];

    /// <summary>Whether people who scan the kiosk's QR code may type straight away (no grant needed).</summary>
    public bool OpenTyping { get; set; } = true;
}
