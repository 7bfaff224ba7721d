namespace DistStack.Actors.Node;

/// <summary>
/// A committed entry this build cannot decode (written by a newer build, or corrupt): the state machine stops
/// before it instead of skipping it, which would make this replica's state differ from the others'.
/// </summary>
public sealed class UndecodableEntryException(long index, FormatException cause)
    : Exception($"Committed entry {index} is not a command this build can decode: {cause.Message} " +
                "The state machine stops here rather than skip it; run a build that reads this format.", cause)
{
    public long Index { get; } = index;
}
