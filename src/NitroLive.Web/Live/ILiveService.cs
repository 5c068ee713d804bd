using System.Threading.Channels;
using NitroLive.Core.Pipeline;

namespace NitroLive.Web.Live;

/// <summary>
/// The live service: sessions, their members and the frames the single generation loop produces for them.
/// Used in-process by the Blazor UI and by the public hub (<c>/hubs/live</c>). Registered as a singleton by
/// <c>AddNitroLive()</c>; every member is thread-safe.
/// </summary>
/// <remarks>
/// Calls that are refused throw <see cref="LiveException"/> and change nothing. Creating or joining returns an
/// <see cref="ILiveMember"/>, the caller's handle on the session; dispose it to leave.
/// </remarks>
public interface ILiveService
{
    /// <summary>The loaded model.</summary>
    ModelDescription Model { get; }

    /// <summary>What requests the service accepts and how clients should behave.</summary>
    LiveLimits Limits { get; }

    /// <summary>Creates a session; the caller becomes its owner.</summary>
    /// <param name="options">Owner name, first request, typing policy; null for defaults.</param>
    /// <returns>The owner's membership; its <see cref="ILiveMember.OwnerToken"/> lets the owner rejoin as owner.</returns>
    /// <exception cref="LiveException">
    /// <see cref="LiveErrorCode.TooManySessions"/>, or a validation code for a bad <see cref="CreateSessionOptions.Initial"/>.
    /// </exception>
    ILiveMember CreateSession(CreateSessionOptions? options = null);

    /// <summary>Joins an existing session.</summary>
    /// <param name="sessionId">The session's id.</param>
    /// <param name="role">
    /// <see cref="LiveRole.Viewer"/>; <see cref="LiveRole.Typist"/> when the session's typing is open;
    /// <see cref="LiveRole.Owner"/> with the matching <paramref name="ownerToken"/>.
    /// </param>
    /// <param name="displayName">
    /// The name other members see, cleaned as <see cref="ILiveMember.Rename"/> cleans it; null for a generated one. A name a
    /// rename would refuse for what it says (the owner's name for a guest, a word of a kiosk's blocklist) does not fail
    /// the join: the member gets the name they would have had without one.
    /// </param>
    /// <param name="ownerToken">The owner token, only when joining as <see cref="LiveRole.Owner"/>.</param>
    /// <param name="guestKey">
    /// A guest's <see cref="ILiveMember.GuestKey"/> from an earlier join: a guest the session knows by it comes back with
    /// the role they had (a typist the owner chose keeps typing with typing closed; one the owner stopped stays a viewer
    /// with typing open), whether <paramref name="role"/> asks for viewer or typist, and with their name unless they give
    /// one. A key the session does not know is ignored (the member gets a new one); so is any key when joining as owner.
    /// The session remembers up to four guests per member place, those with the role anybody joining gets forgotten
    /// first, and none after it ends.
    /// </param>
    /// <param name="display">
    /// A screen showing the session (a kiosk display), not a person: listed as such (<see cref="LiveMemberInfo.IsDisplay"/>),
    /// and its name is not taken for the owner's when it joins as owner.
    /// </param>
    /// <returns>The new membership. It immediately holds the session's newest frame, if any.</returns>
    /// <exception cref="LiveException">
    /// <see cref="LiveErrorCode.UnknownSession"/>, <see cref="LiveErrorCode.SessionFull"/>,
    /// <see cref="LiveErrorCode.Forbidden"/> (typing closed), <see cref="LiveErrorCode.InvalidOwnerToken"/>.
    /// </exception>
    ILiveMember JoinSession(string sessionId, LiveRole role, string? displayName = null, string? ownerToken = null, string? guestKey = null, bool display = false);

    /// <summary>The current state of a session, or null when there is no such session.</summary>
    /// <param name="sessionId">The session's id.</param>
    LiveSessionState? GetSessionState(string sessionId);
}

/// <summary>
/// One membership of one session: the caller's handle for reading frames and state and for changing the request.
/// Dispose it (or call <see cref="IAsyncDisposable.DisposeAsync"/>) to leave the session.
/// </summary>
/// <remarks>
/// Frames and state snapshots are delivered latest-wins: each reader holds at most one unread item, and a reader that
/// falls behind skips to the newest one. Nothing queues up for a slow reader.
/// </remarks>
public interface ILiveMember : IAsyncDisposable
{
    /// <summary>The session's id (22 URL-safe characters, 128 random bits).</summary>
    string SessionId { get; }

    /// <summary>This membership's id, unique within the session.</summary>
    string MemberId { get; }

    /// <summary>The name other members see.</summary>
    string DisplayName { get; }

    /// <summary>The current role; changes when the owner grants or revokes typing.</summary>
    LiveRole Role { get; }

    /// <summary>
    /// The owner token (22 URL-safe characters, 128 random bits) for the owner's membership; null for everybody else.
    /// Keep it secret: with it anybody can join as owner.
    /// </summary>
    string? OwnerToken { get; }

    /// <summary>
    /// For a guest (viewer or typist), the key that makes a later join with it the same person again, within the
    /// session's life: the name and the role they had (see <see cref="ILiveService.JoinSession"/>); null for the owner.
    /// The studio keeps it in the browser's localStorage. Keep it private: with it anybody can join as this guest.
    /// </summary>
    string? GuestKey { get; }

    /// <summary>True once this member has left or the session has ended.</summary>
    bool IsClosed { get; }

    /// <summary>The newest snapshot of the session.</summary>
    LiveSessionState State { get; }

    /// <summary>The session's newest frame, or null before the first.</summary>
    LiveFrame? LatestFrame { get; }

    /// <summary>
    /// Frames for this member, newest only (capacity 1, oldest dropped). Completes when the member leaves or the
    /// session ends. Meant for a single reader.
    /// </summary>
    ChannelReader<LiveFrame> Frames { get; }

    /// <summary>
    /// Session snapshots for this member, newest only (capacity 1, oldest dropped), published on every change of
    /// request, members, roles or error. Completes when the member leaves or the session ends. Meant for a single reader.
    /// </summary>
    ChannelReader<LiveSessionState> States { get; }

    /// <summary>Changes the session's request; the generator will take the newest request next.</summary>
    /// <param name="patch">The fields to change.</param>
    /// <returns>The accepted request and its id.</returns>
    /// <exception cref="LiveException">
    /// <see cref="LiveErrorCode.Forbidden"/> for a viewer, or a validation code; the request is then unchanged.
    /// </exception>
    LiveRequestAccepted UpdateRequest(LiveRequestPatch patch);

    /// <summary>Changes only the prompt; shorthand for <see cref="UpdateRequest"/>.</summary>
    /// <param name="prompt">The new prompt.</param>
    /// <returns>The accepted request and its id.</returns>
    /// <exception cref="LiveException">As for <see cref="UpdateRequest"/>.</exception>
    LiveRequestAccepted SetPrompt(string prompt);

    /// <summary>
    /// Changes only the prompt to a whole prompt to show, not one being typed (a kiosk's playlist): its picture is drawn
    /// in full at once, never as a draft first, like any change that is not typing.
    /// </summary>
    /// <param name="prompt">The new prompt.</param>
    /// <returns>The accepted request and its id.</returns>
    /// <exception cref="LiveException">As for <see cref="UpdateRequest"/>.</exception>
    LiveRequestAccepted ShowPrompt(string prompt);

    /// <summary>
    /// Changes the request to a whole one chosen at once, not typed (a history entry, an example prompt): its picture is
    /// drawn in full at once, never as a draft first.
    /// </summary>
    /// <param name="patch">The fields to change.</param>
    /// <returns>The accepted request and its id.</returns>
    /// <exception cref="LiveException">As for <see cref="UpdateRequest"/>.</exception>
    LiveRequestAccepted ShowRequest(LiveRequestPatch patch);

    /// <summary>Picks a new random fixed seed and regenerates: a variation of the same prompt.</summary>
    /// <returns>The accepted request and its id.</returns>
    /// <exception cref="LiveException"><see cref="LiveErrorCode.Forbidden"/> for a viewer.</exception>
    LiveRequestAccepted Reroll();

    /// <summary>
    /// Changes the name other members see: this page's, and every other page of the same guest (one browser's
    /// <see cref="GuestKey"/>), whose entry in the member list has one name. The session keeps it for a guest's return; an
    /// owner's later pages that give no name of their own get it too. Any member may rename themselves, viewers too.
    /// </summary>
    /// <param name="displayName">
    /// The new name: trimmed, white space runs made one space, control and invisible characters dropped except where they
    /// make an emoji (see docs/hub-protocol.md), up to 64 characters.
    /// </param>
    /// <returns>The name as the session keeps it.</returns>
    /// <exception cref="LiveException">
    /// <see cref="LiveErrorCode.InvalidArgument"/>: nothing left of the name, too long, a guest asking for the owner's name,
    /// or a word of the kiosk blocklist in a kiosk's session; <see cref="LiveErrorCode.NotAMember"/> after leaving;
    /// <see cref="LiveErrorCode.UnknownSession"/> once the session has ended.
    /// </exception>
    string Rename(string displayName);

    /// <summary>Owner only: lets a member type (a viewer becomes a typist).</summary>
    /// <param name="memberId">The member's id.</param>
    /// <exception cref="LiveException"><see cref="LiveErrorCode.Forbidden"/>, <see cref="LiveErrorCode.NotAMember"/>.</exception>
    void GrantTyping(string memberId);

    /// <summary>Owner only: stops a member typing (a typist becomes a viewer).</summary>
    /// <param name="memberId">The member's id.</param>
    /// <exception cref="LiveException"><see cref="LiveErrorCode.Forbidden"/>, <see cref="LiveErrorCode.NotAMember"/>.</exception>
    void RevokeTyping(string memberId);

    /// <summary>Owner only: whether new members may join as typists without a grant.</summary>
    /// <param name="open">True to open typing.</param>
    /// <exception cref="LiveException"><see cref="LiveErrorCode.Forbidden"/>.</exception>
    void SetTypingOpen(bool open);

    /// <summary>
    /// Encodes a frame of the session as a full-quality PNG (for download). Only the session's newest frame is kept
    /// at full quality.
    /// </summary>
    /// <param name="sequence">The frame's sequence, or null for the newest frame.</param>
    /// <param name="cancellationToken">Cancels the encoding.</param>
    /// <returns>The PNG bytes.</returns>
    /// <exception cref="LiveException"><see cref="LiveErrorCode.FrameUnavailable"/> when that frame is no longer held.</exception>
    Task<byte[]> EncodePngAsync(long? sequence, CancellationToken cancellationToken);
}
