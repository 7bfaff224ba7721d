using System.Buffers.Binary;
using DistStack.Actors.Raft;

namespace DistStack.Tests.Simulation;

/// <summary>
/// The simulated application: the list of applied command payloads (each a unique 8-byte command id), enough for
/// the safety checks. A read served at a read index returns how many commands were applied at that index.
/// </summary>
internal sealed class SimStateMachine
{
    private readonly List<long> _commands = [];

    public long AppliedIndex { get; private set; }
    public IReadOnlyList<long> Commands => _commands;

    public void Apply(LogEntry entry)
    {
        AppliedIndex = entry.Index;
        if (entry.Kind == EntryKind.Command) _commands.Add(DecodeCommand(entry.Data));
    }

    public void Reset()
    {
        _commands.Clear();
        AppliedIndex = 0;
    }

    public void Restore(SnapshotData snapshot)
    {
        _commands.Clear();
        _commands.AddRange(DecodeSnapshot(snapshot.Data));
        AppliedIndex = snapshot.Metadata.LastIncludedIndex;
    }

    public byte[] EncodeSnapshot()
    {
        var bytes = new byte[8 * _commands.Count];
        for (var i = 0; i < _commands.Count; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), _commands[i]);
        return bytes;
    }

    public static long[] DecodeSnapshot(byte[] data)
    {
        var commands = new long[data.Length / 8];
        for (var i = 0; i < commands.Length; i++) commands[i] = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(8 * i));
        return commands;
    }

    public static byte[] EncodeCommand(long commandId)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, commandId);
        return bytes;
    }

    public static long DecodeCommand(byte[] data) => data.Length == 8 ? BinaryPrimitives.ReadInt64LittleEndian(data) : -1;
}
