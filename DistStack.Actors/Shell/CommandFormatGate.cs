using DistStack.Actors.Stacks;

namespace DistStack.Actors.Shell;

/// <summary>
/// Which command formats every member can apply, as each has told this node (a <c>CommandFormatsSupported</c> from it
/// in this incarnation), and so which commands may be proposed. The upgrade rule for new command kinds: a member
/// that cannot decode a committed entry must stop applying rather than skip it (skipping would fork its state
/// from the others'), so a leader must never put into the log a format some member cannot read. Batch pushes and
/// pops (format 3) are therefore proposed only once EVERY member, down ones included, has said it reads format 3;
/// until then they are refused as not started (HTTP 503, nothing applied), and single-value commands go on as
/// before. Upgrade every member, and batches start once each upgraded member has been heard from (about a second).
/// What was heard is remembered across this node's restarts (the runner keeps it in the data directory), so a node
/// restarted while a member is down still takes batches. A member that comes back older (a rolled-back binary) says
/// so and closes the gate again. Pure: no actor, no clock, no I/O.
/// The number a member advertises is a format level, the newest of everything it reads that a leader or a snapshot
/// may hand it: 3 = command format 3 (batches); 4 = also compressed stack snapshots (StackSnapshotCodec version 4),
/// which a node writes only once every member reads them, because a leader sends its own snapshot to a follower
/// that lags behind its log, and an older follower could not install it.
/// </summary>
public sealed class CommandFormatGate
{
    /// <summary>The format level of this build.</summary>
    public const byte OwnLevel = CompressedSnapshotLevel;

    /// <summary>The level from which a member reads compressed stack snapshots.</summary>
    public const byte CompressedSnapshotLevel = 4;

    private readonly int _selfId;
    private readonly IReadOnlyList<int> _members;
    private readonly Dictionary<int, byte> _heard = [];

    public CommandFormatGate(int selfId, IReadOnlyList<int> members, byte ownVersion = OwnLevel,
        IReadOnlyDictionary<int, byte>? remembered = null)
    {
        _selfId = selfId;
        _members = members;
        foreach (var (member, version) in remembered ?? new Dictionary<int, byte>())
            if (member != selfId && members.Contains(member)) _heard[member] = version;
        _heard[selfId] = ownVersion;
    }

    /// <summary>
    /// A member said which command format version it reads, at most (its newest). True when that changes what this
    /// node knows (then the runner saves <see cref="Heard"/>).
    /// </summary>
    public bool Hear(int memberId, byte maxCommandVersion)
    {
        if (memberId == _selfId || !_members.Contains(memberId)) return false;
        if (_heard.TryGetValue(memberId, out var known) && known == maxCommandVersion) return false;
        _heard[memberId] = maxCommandVersion;
        return true;
    }

    /// <summary>What every member has said (this node included), to remember across restarts.</summary>
    public IReadOnlyDictionary<int, byte> Heard => _heard;

    /// <summary>Whether every member has said it reads compressed stack snapshots.</summary>
    public bool EveryMemberReadsCompressedSnapshots =>
        _members.All(m => _heard.TryGetValue(m, out var level) && level >= CompressedSnapshotLevel);

    /// <summary>Null when every member reads the command's format; otherwise why it may not be proposed yet.</summary>
    public string? Refusal(StackCommand command)
    {
        var needed = StackCommandCodec.VersionOf(command);
        if (needed <= StackCommandCodec.SingleValueVersion) return null;
        var behind = _members.Where(m => !_heard.TryGetValue(m, out var version) || version < needed).ToList();
        if (behind.Count == 0) return null;
        return $"batch pushes and pops need command format {needed} on every member, and member(s) " +
               $"{string.Join(", ", behind)} have not said they read it (down, or an older build being upgraded); " +
               "single-value commands work meanwhile";
    }
}
