namespace DistStack.Actors.Stacks;

/// <summary>Binary form of a command inside a Raft log entry. Versioned: log entries are kept forever.</summary>
public static class StackCommandCodec
{
    public static byte[] Encode(StackCommand command) => throw new NotImplementedException();
    public static StackCommand Decode(ReadOnlySpan<byte> bytes) => throw new NotImplementedException();
}

/// <summary>Binary, versioned snapshot of a whole <see cref="StackState"/> including the request-key table.</summary>
public static class StackSnapshotCodec
{
    public static byte[] Write(StackState state) => throw new NotImplementedException();
    public static StackState Read(ReadOnlySpan<byte> bytes, StackStateOptions options) => throw new NotImplementedException();
}
