namespace NitroLive.Core.Scheduling;

/// <summary>
/// Raised when a scheduler is asked for a schedule it cannot produce. The message is the one diffusers'
/// <c>LCMScheduler.set_timesteps</c> raises for the same request, so the two can be compared verbatim.
/// </summary>
public sealed class SchedulerException : ArgumentException
{
    /// <summary>Creates the exception with a default message.</summary>
    public SchedulerException()
    {
    }

    /// <summary>Creates the exception with the given message.</summary>
    public SchedulerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the given message and cause.</summary>
    public SchedulerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
