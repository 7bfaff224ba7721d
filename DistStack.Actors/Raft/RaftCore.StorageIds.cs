namespace DistStack.Actors.Raft;

/// <summary>
/// Storage ids (docs/membership.md, "Storage ids"): every node's storage gets a random id when it is created, every
/// vote and acknowledgement carries it, and the configuration records each member's. A vote or an acknowledgement
/// counts only from the recorded storage. A node whose disk was lost comes back blank under a new id: it can never
/// vote or count toward a commit or a read with a blank log (Raft's guarantees assume storage survives), so for
/// quorums it is as if that member had crashed for good, which Raft tolerates for a minority. Removing it and adding
/// it back (a new learner, promoted once caught up) records its new storage.
/// </summary>
public sealed partial class RaftCore
{
    /// <summary>Whether our own storage is the one our latest configuration records for us (or none is recorded).</summary>
    /// <summary>The tick at which we last became leader.</summary>
    private long _ledSince;

    private bool OwnStorageRecorded => _configuration.StorageMatches(_id, StorageId);

    /// <summary>Whether voter <paramref name="voter"/>'s answers count toward a quorum of <paramref name="configuration"/> (leader only).</summary>
    private bool AnswersCount(ClusterConfiguration configuration, int voter) =>
        voter == _id
            ? configuration.StorageMatches(_id, StorageId)
            : _progress.TryGetValue(voter, out var progress) && configuration.StorageMatches(voter, progress.StorageId);

    /// <summary>The leader heard from <paramref name="progress"/>'s follower: remember which storage answered.</summary>
    private void NoteStorage(FollowerProgress progress, IStorageStamped answer)
    {
        if (answer.StorageId == 0 || answer.StorageId == progress.StorageId) return;
        if (progress.StorageId != 0) progress.ForgetLostStorage(_log.LastIndex + 1);
        progress.StorageId = answer.StorageId;
    }

    /// <summary>
    /// The storage ids a leader knows for members whose storage is not recorded yet: its own, and each follower's from
    /// its answers. A recorded id is never replaced: only removing the member and adding it again records a new one.
    /// </summary>
    private IEnumerable<KeyValuePair<int, ulong>> UnrecordedStorageIds()
    {
        foreach (var member in _configuration.Members)
        {
            if (_configuration.StorageIds.ContainsKey(member)) continue;
            var storageId = member == _id ? StorageId : _progress.TryGetValue(member, out var p) ? p.StorageId : 0;
            if (storageId != 0) yield return new KeyValuePair<int, ulong>(member, storageId);
        }
    }

    /// <summary>
    /// The first leader records the founders' storage ids (and any later leader those still missing, e.g. of a
    /// learner) with a configuration entry that changes no member: the same voters, so any majority of the old is a
    /// majority of the new. Only as a change may be made (our term committed, no other change in flight, no
    /// transfer). It waits for every voter's storage to be known, so that one entry usually records them all, but no
    /// longer than an election timeout: a voter that is down must not keep the others unrecorded.
    /// </summary>
    private void MaybeRecordStorageIds()
    {
        if (_role != RaftRole.Leader || _transferTarget != None || !_configuration.Contains(_id)) return;
        if (_configuration.Members.All(_configuration.StorageIds.ContainsKey)) return;
        if (_log.Term(_log.Committed) != _term || UncommittedConfigurationIndex() is not null) return;
        var unrecorded = UnrecordedStorageIds().ToList();
        if (unrecorded.Count == 0) return;
        var votersKnown = _configuration.Voters.All(v => _configuration.StorageIds.ContainsKey(v) || unrecorded.Any(u => u.Key == v));
        if (!votersKnown && _now - _ledSince < _options.ElectionTicks) return;
        var next = _configuration.WithMissingAddresses(_options.MemberAddresses).WithStorageIds(unrecorded);
        AppendAsLeader(EntryKind.Configuration, next.Encode());
    }

    private List<int> MembersWithLostStorage() =>
        [.. _progress.Where(p => _configuration.IsMember(p.Key) && p.Value.StorageId != 0 &&
                                 !_configuration.StorageMatches(p.Key, p.Value.StorageId)).Select(p => p.Key).Order()];
}
