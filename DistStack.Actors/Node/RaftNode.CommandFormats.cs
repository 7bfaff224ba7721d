using Akka.Actor;
using DistStack.Actors.Shell;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Node;

// Command formats: tell every peer which stack command format this build applies, hear theirs, and refuse to
// propose (or forward) a command in a format some member cannot read (Shell/CommandFormatGate says why); and let
// the registry compress its snapshots only once every member reads compressed ones.
public sealed partial class RaftNode
{
    private CommandFormatGate? _formatGate;
    private long _ticksSinceFormatsAdvertised = long.MaxValue;

    /// <summary>What the registry was last told (null: nothing yet).</summary>
    private bool? _compressingSnapshots;

    /// <summary>
    /// Over the members of the latest configuration (learners apply entries too), rebuilt when it changes
    /// (RaftNode.Peers.cs): a member added at runtime must have said it reads a format, a removed one no longer
    /// holds batches back. What was heard survives the rebuild in command-formats.txt.
    /// </summary>
    private CommandFormatGate FormatGate =>
        _formatGate ??= new CommandFormatGate(_settings.NodeId,
            [.. MembersOf(_core?.Configuration ?? Raft.ClusterConfiguration.Of())],
            remembered: CommandFormatsFile.Read(_settings.DataDirectory, _log));

    /// <summary>Every election timeout: often enough that a new leader learns every live member within about one.</summary>
    private void AdvertiseCommandFormats()
    {
        if (_ticksSinceFormatsAdvertised != long.MaxValue && ++_ticksSinceFormatsAdvertised < _settings.ElectionTicks) return;
        _ticksSinceFormatsAdvertised = 0;
        var advert = new CommandFormatsSupported(_settings.ClusterId, _settings.NodeId, CommandFormatGate.OwnLevel);
        foreach (var peer in _peers.Values) peer.Tell(advert, Self);
        AdvertiseForwardedBatches();
        TellRegistryWhetherToCompressSnapshots();
    }

    /// <summary>Snapshots are compressed once every member reads them compressed (CommandFormatGate says why).</summary>
    private void TellRegistryWhetherToCompressSnapshots()
    {
        var compress = FormatGate.EveryMemberReadsCompressedSnapshots;
        if (_compressingSnapshots == compress) return;
        _compressingSnapshots = compress;
        _registry.Tell(new CompressSnapshots(compress));
    }

    private void OnCommandFormatsSupported(CommandFormatsSupported advert)
    {
        if (!IsPeer(advert.From) || !AcceptFromPeer(nameof(CommandFormatsSupported), advert.ClusterId, advert.From)) return;
        if (FormatGate.Hear(advert.From, advert.MaxCommandVersion))
            CommandFormatsFile.Write(_settings.DataDirectory, FormatGate.Heard, _log);
    }

    /// <summary>Commands in a format every member reads go on to the client requests; others are answered not started.</summary>
    private void OnCommandIfEveryMemberReadsIt(StackCommand command, IActorRef replyTo, bool forwarded)
    {
        if (FormatGate.Refusal(command) is { } refusal)
        {
            replyTo.Tell(new NotStarted(refusal));
            return;
        }
        OnCommand(command, replyTo, forwarded);
    }
}
