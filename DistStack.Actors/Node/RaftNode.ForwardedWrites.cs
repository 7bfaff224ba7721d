using Akka.Actor;
using DistStack.Actors.Shell;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Node;

// Forwarded writes, batched: a follower keeps the writes it forwarded in one table (Shell/ForwardedWriteTable) and
// sends the copies gathered while it handles its mailbox to the leader as one ForwardedCommands; the leader answers
// each under its id, and the answers of one applied batch come back as one ForwardedAnswers. Only toward a leader
// that advertises ForwardedBatchesSupported (every build since batches); toward an older leader a follower still
// starts a ForwardedWrite child per write (RaftNode.Clients.cs), which an older leader answers directly.
public sealed partial class RaftNode
{
    private ForwardedWriteTable<IActorRef>? _forwardedTable;

    /// <summary>Copies to send, per leader, gathered until the next flush (the end of this mailbox run).</summary>
    private readonly Dictionary<int, List<ForwardedWriteCopy>> _forwardOutbox = [];

    /// <summary>When each peer last said it reads forwarded batches, in ticks.</summary>
    private readonly Dictionary<int, long> _batchesHeardAt = [];

    /// <summary>A batch this large in command bytes goes out at once; the rest of the run starts the next one.</summary>
    private const int MaxForwardBatchBytes = 256 * 1024;

    private int _forwardOutboxBytes;

    private ForwardedWriteTable<IActorRef> ForwardedTable => _forwardedTable ??=
        new ForwardedWriteTable<IActorRef>(firstId: Random.Shared.NextInt64(1L << 62), resendEveryTicks: _settings.ElectionTicks);

    private void SetUpForwardedWriteCommands()
    {
        Command<ForwardedCommands>(OnForwardedCommands);
        Command<ForwardedAnswers>(OnForwardedAnswers);
        Command<ForwardedBatchesSupported>(advert =>
        {
            if (_clients is null || !IsPeer(advert.From)) return;
            if (!AcceptFromPeer(nameof(ForwardedBatchesSupported), advert.ClusterId, advert.From)) return;
            var wasTakingBatches = TakesForwardedBatches(advert.From);
            _batchesHeardAt[advert.From] = Ticks;
            // A leader learned before its advert came (its adverts were lost with the link to it, say) got no copies of
            // the writes already forwarded: they go now, or their re-sends would keep going to the leader before it.
            if (!wasTakingBatches && _clients.LeaderId == advert.From) NewLeaderForBatchedWrites(advert.From);
        });
    }

    /// <summary>
    /// Whether <paramref name="leaderId"/> takes batches: this node itself, or a peer that said so within the last three
    /// advert intervals (one lost advert must not send writes the slow way; a rolled-back member stops saying it).
    /// </summary>
    private bool TakesForwardedBatches(int leaderId) =>
        leaderId == _settings.NodeId ||
        (_batchesHeardAt.TryGetValue(leaderId, out var heardAt) && Ticks - heardAt <= 3L * _settings.ElectionTicks);

    private void AdvertiseForwardedBatches()
    {
        var advert = new ForwardedBatchesSupported(_settings.ClusterId, _settings.NodeId);
        foreach (var peer in _peers.Values) peer.Tell(advert, Self);
    }

    private void ForwardInBatch(StackCommand command, IActorRef client, int leaderId, long ticksLeft) =>
        QueueCopy(leaderId, ForwardedTable.Add(command, client, leaderId, Ticks, ticksLeft));

    private void NewLeaderForBatchedWrites(int leaderId)
    {
        if (_forwardedTable is not { Count: > 0 } table || !TakesForwardedBatches(leaderId)) return;
        foreach (var copy in table.OnLeader(leaderId)) QueueCopy(leaderId, copy);
    }

    /// <summary>Every tick: deadlines and re-sends of batched writes.</summary>
    private void TickForwardedWrites()
    {
        if (_forwardedTable is not { Count: > 0 } table) return;
        var answers = new List<(IActorRef Client, NodeReply Reply)>();
        var resends = new List<(int LeaderId, ForwardedWriteCopy Copy)>();
        table.Tick(Ticks, answers, resends);
        foreach (var (client, reply) in answers) client.Tell(reply);
        foreach (var (leaderId, copy) in resends)
            if (TakesForwardedBatches(leaderId)) QueueCopy(leaderId, copy);
    }

    private void QueueCopy(int leaderId, ForwardedWriteCopy copy)
    {
        if (!_forwardOutbox.TryGetValue(leaderId, out var copies)) _forwardOutbox[leaderId] = copies = [];
        copies.Add(copy);
        _forwardOutboxBytes += 16 + StackCommandSize(copy.Command);
        if (_forwardOutboxBytes >= MaxForwardBatchBytes) SendForwardedCopies();
        else ScheduleFlush();
    }

    /// <summary>About the command's size on the wire (UTF-16 lengths: an upper bound for ASCII, near enough otherwise).</summary>
    private static int StackCommandSize(StackCommand command) => command.StackId.Length + command.RequestKey.Length + command switch
    {
        PushValue push => push.Value.Length,
        PushValues many => many.Values.Sum(v => v.Length + 2),
        _ => 0,
    };

    /// <summary>Called when the mailbox run's flush comes (and when a batch is full): one message per leader.</summary>
    private void SendForwardedCopies()
    {
        _forwardOutboxBytes = 0;
        if (_forwardOutbox.Count == 0) return;
        foreach (var (leaderId, copies) in _forwardOutbox)
        {
            ICanTell? target = leaderId == _settings.NodeId ? Self : _peers.GetValueOrDefault(leaderId);
            // A leader that is no peer any more: the copies wait for their re-send or deadline, as a lost copy would.
            target?.Tell(new ForwardedCommands(_settings.ClusterId, _settings.NodeId, copies), Self);
        }
        _forwardOutbox.Clear();
    }

    /// <summary>On the leader: each write goes on as if its client were here, answered under the follower's id.</summary>
    private void OnForwardedCommands(ForwardedCommands batch)
    {
        if (!AcceptFromPeer(nameof(ForwardedCommands), batch.ClusterId, batch.OriginNodeId)) return;
        var provider = ((ExtendedActorSystem)Context.System).Provider;
        foreach (var write in batch.Writes)
            OnCommandIfEveryMemberReadsIt(write.Command,
                new ForwardedCaller(Sender, write.WriteId, _settings.ClusterId, _settings.NodeId, Self, provider), forwarded: true);
    }

    private void OnForwardedAnswers(ForwardedAnswers batch)
    {
        // From the peer it claims to be: the answers decide what clients hear.
        if (_forwardedTable is not { } table || !AcceptFromPeer(nameof(ForwardedAnswers), batch.ClusterId, batch.From)) return;
        foreach (var answer in batch.Answers)
            if (table.OnAnswer(answer.WriteId, answer.Reply, out var client, out var final)) client.Tell(final);
    }

    /// <summary>The actor stops: every batched write's client hears that its write may still apply.</summary>
    private void StopForwardedWrites()
    {
        if (_forwardedTable is null) return;
        foreach (var (client, reply) in _forwardedTable.Stop()) client.Tell(reply);
    }

    /// <summary>While refusing to start: every write of a batch is answered not started.</summary>
    private void RefuseForwardedCommands(ForwardedCommands batch, string refusal) =>
        Sender.Tell(new ForwardedAnswers(_settings.ClusterId, _settings.NodeId,
            batch.Writes.Select(w => new ForwardedAnswer(w.WriteId, new NotStarted(refusal))).ToList()));
}
