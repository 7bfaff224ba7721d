using System.Buffers.Binary;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;

namespace DistStack.Tests.Simulation;

/// <summary>
/// The simulated application: the list of applied command ids, enough for the safety checks. A command is either a
/// raw 8-byte id proposed on a core directly (unique, committed once), or a client's stack command proposed through
/// the production ClientRequests, whose request key "c{id}" names it; a client command can be committed more than
/// once (a forwarded write re-sends copies) and applies once, like the real state machine's request-key table.
/// A read served at a read index returns how many commands were applied at that index.
/// </summary>
internal sealed class SimStateMachine
{
    private readonly List<long> _commands = [];
    private readonly HashSet<long> _applied = [];

    public long AppliedIndex { get; private set; }
    public IReadOnlyList<long> Commands => _commands;

    public bool HasApplied(long commandId) => _applied.Contains(commandId);

    public void Apply(LogEntry entry)
    {
        AppliedIndex = entry.Index;
        if (entry.Kind != EntryKind.Command) return;
        var (id, fromClient) = DecodeAny(entry.Data);
        if (fromClient && _applied.Contains(id)) return; // another copy of a client's command: applied once
        _commands.Add(id);
        _applied.Add(id);
    }

    public void Reset()
    {
        _commands.Clear();
        _applied.Clear();
        AppliedIndex = 0;
    }

    public void Restore(SnapshotData snapshot)
    {
        _commands.Clear();
        _commands.AddRange(DecodeSnapshot(snapshot.Data));
        _applied.Clear();
        _applied.UnionWith(_commands);
        AppliedIndex = snapshot.Metadata.LastIncludedIndex;
    }

    /// <summary>The stack command a simulated client sends for command <paramref name="id"/>.</summary>
    public static StackCommand ClientCommand(long id) => new PushValue($"c{id}", "s", "v") { KeyFromClient = true };

    /// <summary>A command entry's id, and whether it is a client's stack command (-1: neither form).</summary>
    public static (long Id, bool FromClient) DecodeAny(byte[] data)
    {
        if (data.Length == 8) return (BinaryPrimitives.ReadInt64LittleEndian(data), false);
        try
        {
            var command = StackCommandCodec.Decode(data);
            return command.RequestKey.StartsWith('c') && long.TryParse(command.RequestKey.AsSpan(1), out var id) ? (id, true) : (-1, false);
        }
        catch (FormatException)
        {
            return (-1, false);
        }
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

    public static long DecodeCommand(byte[] data) => DecodeAny(data).Id;
}
