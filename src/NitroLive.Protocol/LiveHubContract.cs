namespace NitroLive.Web.Hubs;

/// <summary>Where <c>/hubs/live</c> is mapped and the names of its methods, for .NET clients (docs/hub-protocol.md).</summary>
public static class LiveHubContract
{
    /// <summary>The path the hub is mapped at.</summary>
    public const string Path = "/hubs/live";

    /// <summary>Returns a <see cref="ServerInfoMessage"/>.</summary>
    public const string GetServerInfo = nameof(GetServerInfo);

    /// <summary>Takes a <see cref="CreateSessionMessage"/>, returns a <see cref="JoinedMessage"/>.</summary>
    public const string CreateSession = nameof(CreateSession);

    /// <summary>Takes a <see cref="JoinSessionMessage"/>, returns a <see cref="JoinedMessage"/>.</summary>
    public const string JoinSession = nameof(JoinSession);

    /// <summary>Takes a session id and a <see cref="RequestPatchMessage"/>, returns a <see cref="RequestAcceptedMessage"/>.</summary>
    public const string UpdateRequest = nameof(UpdateRequest);

    /// <summary>Takes a session id and a prompt, returns a <see cref="RequestAcceptedMessage"/>.</summary>
    public const string SetPrompt = nameof(SetPrompt);

    /// <summary>
    /// Takes a session id and a <see cref="RequestPatchMessage"/> chosen whole, not typed (a history entry, an example
    /// prompt): drawn in full at once, never as a draft first. Returns a <see cref="RequestAcceptedMessage"/>.
    /// </summary>
    public const string ShowRequest = nameof(ShowRequest);

    /// <summary>Takes a session id, returns a <see cref="RequestAcceptedMessage"/>.</summary>
    public const string Reroll = nameof(Reroll);

    /// <summary>Takes a session id and a member id (owner only).</summary>
    public const string GrantTyping = nameof(GrantTyping);

    /// <summary>Takes a session id and a member id (owner only).</summary>
    public const string RevokeTyping = nameof(RevokeTyping);

    /// <summary>Takes a session id and a boolean (owner only).</summary>
    public const string SetTypingOpen = nameof(SetTypingOpen);

    /// <summary>Takes a session id and a display name, returns the name as the session keeps it.</summary>
    public const string Rename = nameof(Rename);

    /// <summary>Takes a session id, returns a <see cref="SessionStateMessage"/>.</summary>
    public const string GetState = nameof(GetState);

    /// <summary>Takes a session id and a frame sequence, returns PNG bytes.</summary>
    public const string DownloadPng = nameof(DownloadPng);

    /// <summary>Takes a session id.</summary>
    public const string LeaveSession = nameof(LeaveSession);

    /// <summary>Stream: takes a session id, yields <see cref="FrameMessage"/>s.</summary>
    public const string Frames = nameof(Frames);

    /// <summary>Stream: takes a session id, yields <see cref="SessionStateMessage"/>s.</summary>
    public const string States = nameof(States);
}
