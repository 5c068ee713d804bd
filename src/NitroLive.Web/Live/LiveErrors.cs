namespace NitroLive.Web.Live;

/// <summary>Stable, machine-readable reasons the live service refuses a call. The hub sends them as snake_case codes.</summary>
public enum LiveErrorCode
{
    /// <summary>An argument is missing or malformed (<c>invalid_argument</c>).</summary>
    InvalidArgument,

    /// <summary>The prompt is longer than <see cref="LiveLimits.MaxPromptLength"/> (<c>prompt_too_long</c>).</summary>
    PromptTooLong,

    /// <summary>The seed is outside 0 to 2^53 - 1, the integers every JSON client can hold exactly (<c>seed_out_of_range</c>).</summary>
    SeedOutOfRange,

    /// <summary>The step count is not one of <see cref="LiveLimits.AllowedSteps"/> (<c>steps_out_of_range</c>).</summary>
    StepsOutOfRange,

    /// <summary>The size is not one of <see cref="LiveLimits.Sizes"/> (<c>unsupported_size</c>).</summary>
    UnsupportedSize,

    /// <summary>The model variant is not the loaded one (<c>unsupported_variant</c>).</summary>
    UnsupportedVariant,

    /// <summary>No session has that id, or it has ended (<c>unknown_session</c>).</summary>
    UnknownSession,

    /// <summary>The caller is not a member of that session (<c>not_a_member</c>).</summary>
    NotAMember,

    /// <summary>The caller's role does not allow the call (<c>forbidden</c>).</summary>
    Forbidden,

    /// <summary>The owner token does not match (<c>invalid_owner_token</c>).</summary>
    InvalidOwnerToken,

    /// <summary>The server holds <see cref="LiveOptions.MaxSessions"/> sessions already (<c>too_many_sessions</c>).</summary>
    TooManySessions,

    /// <summary>The session holds <see cref="LiveLimits.MaxMembersPerSession"/> members already (<c>session_full</c>).</summary>
    SessionFull,

    /// <summary>
    /// The hub connection is a member of <see cref="LiveOptions.MaxSessionsPerConnection"/> sessions already
    /// (<c>too_many_memberships</c>).
    /// </summary>
    TooManyMemberships,

    /// <summary>No frame with that sequence is held any more (<c>frame_unavailable</c>).</summary>
    FrameUnavailable,

    /// <summary>The frame stream of this membership is already being read (<c>already_streaming</c>).</summary>
    AlreadyStreaming,

    /// <summary>
    /// The prompt holds a word or phrase on the kiosk blocklist, in a session that applies it (<c>blocked_prompt</c>):
    /// it is not generated and the session's request stays as it was.
    /// </summary>
    BlockedPrompt,

    /// <summary>
    /// Too many full-quality PNGs wait for the server's download encoder already (<see cref="LiveOptions.MaxPendingDownloads"/>;
    /// <c>busy</c>): try again in a moment.
    /// </summary>
    Busy,
}

/// <summary>A refused live-service call: nothing in the session changed.</summary>
public sealed class LiveException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">Why the call was refused.</param>
    /// <param name="message">A sentence for people, naming the offending value and the limit.</param>
    public LiveException(LiveErrorCode code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary>Creates the exception with <see cref="LiveErrorCode.InvalidArgument"/>.</summary>
    public LiveException()
        : this(LiveErrorCode.InvalidArgument, "Invalid argument.")
    {
    }

    /// <summary>Creates the exception with <see cref="LiveErrorCode.InvalidArgument"/>.</summary>
    /// <param name="message">A sentence for people.</param>
    public LiveException(string message)
        : this(LiveErrorCode.InvalidArgument, message)
    {
    }

    /// <summary>Creates the exception with <see cref="LiveErrorCode.InvalidArgument"/>.</summary>
    /// <param name="message">A sentence for people.</param>
    /// <param name="innerException">The cause.</param>
    public LiveException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = LiveErrorCode.InvalidArgument;
    }

    /// <summary>Why the call was refused.</summary>
    public LiveErrorCode Code { get; }

    /// <summary>The stable snake_case code of <see cref="Code"/>, as the hub sends it ("prompt_too_long").</summary>
    public string CodeName => ToCodeName(Code);

    /// <summary>The stable snake_case code of an error ("prompt_too_long").</summary>
    /// <param name="code">The error.</param>
    public static string ToCodeName(LiveErrorCode code) => code switch
    {
        LiveErrorCode.InvalidArgument => "invalid_argument",
        LiveErrorCode.PromptTooLong => "prompt_too_long",
        LiveErrorCode.SeedOutOfRange => "seed_out_of_range",
        LiveErrorCode.StepsOutOfRange => "steps_out_of_range",
        LiveErrorCode.UnsupportedSize => "unsupported_size",
        LiveErrorCode.UnsupportedVariant => "unsupported_variant",
        LiveErrorCode.UnknownSession => "unknown_session",
        LiveErrorCode.NotAMember => "not_a_member",
        LiveErrorCode.Forbidden => "forbidden",
        LiveErrorCode.InvalidOwnerToken => "invalid_owner_token",
        LiveErrorCode.TooManySessions => "too_many_sessions",
        LiveErrorCode.SessionFull => "session_full",
        LiveErrorCode.TooManyMemberships => "too_many_memberships",
        LiveErrorCode.FrameUnavailable => "frame_unavailable",
        LiveErrorCode.AlreadyStreaming => "already_streaming",
        LiveErrorCode.BlockedPrompt => "blocked_prompt",
        LiveErrorCode.Busy => "busy",
        _ => "error",
    };
}
