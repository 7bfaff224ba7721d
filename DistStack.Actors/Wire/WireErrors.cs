using System.Runtime.Serialization;

namespace DistStack.Actors.Wire;

/// <summary>
/// Which exception a malformed input or an unwritable value becomes: Akka's serializer boundary reports
/// <see cref="SerializationException"/>, the stack codecs (log entries, snapshots) <see cref="FormatException"/> and
/// <see cref="ArgumentException"/>, which their callers already handle. The bytes are the same either way.
/// </summary>
internal enum WireErrors : byte
{
    /// <summary>FormatException when reading, ArgumentException for a value that cannot be written.</summary>
    Format,

    /// <summary>SerializationException for both.</summary>
    Serialization,
}

internal static class WireErrorsExtensions
{
    public static Exception Malformed(this WireErrors errors, string what, string? manifest, string reason, Exception? inner = null)
    {
        var message = manifest is null ? $"Malformed {what}: {reason}." : $"Malformed {what} (manifest '{manifest}'): {reason}.";
        return errors == WireErrors.Serialization ? new SerializationException(message, inner) : new FormatException(message, inner);
    }

    public static Exception Unwritable(this WireErrors errors, string message, Exception? inner = null) =>
        errors == WireErrors.Serialization ? new SerializationException(message, inner) : new ArgumentException(message, inner);
}
