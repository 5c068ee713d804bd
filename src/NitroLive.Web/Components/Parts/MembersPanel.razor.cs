using Microsoft.AspNetCore.Components;
using MudBlazor;
using NitroLive.Web.Live;

namespace NitroLive.Web.Components.Parts;

/// <summary>
/// Who is connected: for the owner, with typing granted or revoked per member and opened to everybody; for a guest, the
/// same list to read (who is here, who may type, who is typing now).
/// </summary>
public sealed partial class MembersPanel
{
    private string? _rendered;

    /// <summary>The session's newest state.</summary>
    [Parameter]
    [EditorRequired]
    public LiveSessionState State { get; set; } = default!;

    /// <summary>This page's membership, marked "(you)".</summary>
    [Parameter]
    public string? MyMemberId { get; set; }

    /// <summary>The member whose typing is changing the prompt right now, marked "typing…"; null when nobody's is.</summary>
    [Parameter]
    public string? TypingMemberId { get; set; }

    /// <summary>The owner's panel: the typing switch, and a grant or stop button per member.</summary>
    [Parameter]
    public bool CanManage { get; set; } = true;

    /// <summary>Shown under the heading, above the list (this person's own name).</summary>
    [Parameter]
    public RenderFragment? ChildContent { get; set; }

    /// <summary>Grant typing to a member.</summary>
    [Parameter]
    public EventCallback<string> OnGrant { get; set; }

    /// <summary>Revoke typing from a member.</summary>
    [Parameter]
    public EventCallback<string> OnRevoke { get; set; }

    /// <summary>Open or close typing for everybody who joins.</summary>
    [Parameter]
    public EventCallback<bool> OnTypingOpenChanged { get; set; }

    /// <inheritdoc />
    protected override bool ShouldRender()
    {
        // Only when somebody joined, left, changed role or started or stopped typing (not on every frame of the page).
        var key = $"{CanManage}|{State.TypingOpen}|{MyMemberId}|{TypingMemberId}|" + string.Join('|', State.Members.Select(m => $"{m.MemberId}:{m.Role}:{m.DisplayName}:{m.OtherPages.Count}:{m.IsDisplay}"));
        if (key == _rendered)
        {
            return false;
        }

        _rendered = key;
        return true;
    }

    private static string RoleIcon(LiveMemberInfo member) => member.IsDisplay ? Icons.Material.Filled.Tv : member.Role switch
    {
        LiveRole.Owner => Icons.Material.Filled.Star,
        LiveRole.Typist => Icons.Material.Filled.Keyboard,
        _ => Icons.Material.Outlined.Visibility,
    };

    // One guest on several pages (tabs of one browser; a page whose connection dropped counts until its circuit goes) is
    // one entry: the owner's grant or stop reaches every page.
    private static string PagesLabel(LiveMemberInfo member) => $"on {member.OtherPages.Count + 1} pages";

    private static string RoleName(LiveMemberInfo member) => member.IsDisplay ? "display" : member.Role switch
    {
        LiveRole.Owner => "owner",
        LiveRole.Typist => "may type",
        _ => "viewing",
    };
}
