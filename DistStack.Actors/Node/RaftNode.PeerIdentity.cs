using Akka.Actor;
using Akka.Event;
using DistStack.Actors.Hosting;

namespace DistStack.Actors.Node;

// A peer's message names its sender (From, OriginNodeId) and its cluster; both are self-declared. Before a message
// reaches Raft, its cluster id must be ours and the Akka.Remote address it came from must be the configured
// address of the member it claims to be. Without peer TLS this is a consistency check (a sender can still lie
// about its own address), not security: peer TLS with the cluster's CA is what keeps strangers out.
public sealed partial class RaftNode
{
    private const long RefusalLogEveryTicks = 20;
    private long _refusedSinceLastLog;
    private long? _lastRefusalLogTick;

    /// <summary>True if a message claiming to come from member <paramref name="claimedId"/> of cluster <paramref name="clusterId"/> may be handled.</summary>
    private bool AcceptFromPeer(string what, ulong clusterId, int claimedId)
    {
        var reason = RefusalReason(clusterId, claimedId);
        if (reason is null) return true;
        LogRefusal(what, reason);
        return false;
    }

    private string? RefusalReason(ulong clusterId, int claimedId)
    {
        if (clusterId != _settings.ClusterId)
            return $"cluster id {ClusterIdentity.Format(clusterId)} is not this cluster's ({ClusterIdentity.Format(_settings.ClusterId)})";
        // Tests that stand in for peers with local probes have no addresses to compare.
        if (_peerOverrides is not null) return null;
        var from = Sender.Path.Address;
        // Our own forwarded write, re-sent to us because this node became the leader: it comes from a child in this
        // process (a ForwardedWrite), not from a peer.
        if (claimedId == _settings.NodeId && from.HasLocalScope && !Sender.IsNobody()) return null;
        if (!_peerAddresses.TryGetValue(claimedId, out var expected))
            return $"it claims to be member {claimedId}, which is not a peer of this node (sent from {from})";
        return from.Equals(expected) ? null : $"it claims to be member {claimedId} ({expected}) but was sent from {from}";
    }

    /// <summary>A hostile sender must not flood the log: the first refusal, then at most one line per second with a count.</summary>
    private void LogRefusal(string what, string reason)
    {
        _refusedSinceLastLog++;
        var now = _clients?.Now;
        if (_lastRefusalLogTick is { } last && now is { } tick && tick - last < RefusalLogEveryTicks) return;
        _lastRefusalLogTick = now ?? _lastRefusalLogTick;
        _log.Warning("Node {0} refused a peer's {1}: {2} ({3} refused since the last such line)",
            _settings.NodeId, what, reason, _refusedSinceLastLog);
        _refusedSinceLastLog = 0;
    }
}
