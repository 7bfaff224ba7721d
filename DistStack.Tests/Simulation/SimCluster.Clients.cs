using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Actors.Shell;
using DistStack.Actors.Stacks;

namespace DistStack.Tests.Simulation;

/// <summary>A request of a simulated client, or (at a leader) a forwarded copy of one.</summary>
internal sealed class SimClient(long id, int origin, SimClientKind kind, long submittedAtStep)
{
    public long Id { get; } = id;
    public int Origin { get; } = origin;
    public SimClientKind Kind { get; } = kind;
    public long SubmittedAtStep { get; } = submittedAtStep;

    /// <summary>The forwarded write this copy belongs to (<see cref="SimClientKind.ForwardedCopy"/> only).</summary>
    public long ForwardId { get; init; }

    /// <summary>A read's linearizability record (<see cref="SimClientKind.Read"/> only).</summary>
    public SimRead? Read { get; init; }

    public long ServeByTick { get; set; }
    public NodeReply? Answer { get; set; }

    /// <summary>Its node crashed before answering: the client saw a dropped connection, which the contract allows.</summary>
    public bool Dropped { get; set; }

    public override string ToString() => $"{Kind} {Id} from n{Origin}";
}

internal enum SimClientKind : byte { Write, Read, ForwardedCopy }

/// <summary>
/// Clients through the production driver: with <see cref="SimSettings.ClientsThroughDriver"/>, every node runs
/// <see cref="ClientRequests{TClient}"/> (proposals, waits for a leader, reads, deadlines) and forwarded writes run
/// the production <see cref="ForwardedWriteTable{TClient}"/> (with <see cref="ForwardedCopies"/>), their copies and answers travelling the same lossy, partitioned network as Raft's
/// messages. Checked: every request is answered exactly once (or its node crashed under it); a write answered
/// "not started" was never applied anywhere; a completed write is applied everywhere once healed; a read includes
/// every write acknowledged before it was requested.
/// </summary>
internal sealed partial class SimCluster
{
    private sealed record ClientDeliverEvent(int From, int To, object Payload) : SimEvent;
    private sealed record DispatchEvent(int Node, int Incarnation) : SimEvent;
    private sealed record ForwardCopyPayload(long ForwardId, StackCommand Command);
    private sealed record ForwardAnswerPayload(long ForwardId, NodeReply Reply);

    /// <summary>Client read ids start here (the core's own scripted reads count from 1), one range per incarnation.</summary>
    private const long ClientReadIds = 1L << 40;

    private readonly List<SimClient> _clients = [];

    public IReadOnlyList<SimClient> Clients => _clients;

    private ClientRequestLimits ClientLimits(SimNode node) => new(
        node.Id,
        AnswerWithinTicks: 12L * Settings.Raft.ElectionTicks,
        NoLeaderWaitTicks: 4L * Settings.Raft.ElectionTicks,
        HandOverTicks: 4L * Settings.Raft.ElectionTicks,
        MaxInFlight: 64);

    private void StartClientRequests(SimNode node)
    {
        if (!Settings.ClientsThroughDriver) return;
        // Ids per node and incarnation, as RaftNode draws a fresh range per incarnation.
        node.Forwards = new ForwardedWriteTable<SimClient>(firstId: ((long)node.Id << 48) + ((long)node.Incarnation << 32),
            resendEveryTicks: Settings.Raft.ElectionTicks);
        node.ClientReadsAwaitingApply.Clear();
        node.Clients = new ClientRequests<SimClient>(node.Core!, ClientLimits(node), new SimClientEffects(this, node),
            firstReadId: ClientReadIds + node.Incarnation * (1L << 32), wallClockMs: () => 1_000_000 + Now);
    }

    /// <summary>A client writes through <paramref name="node"/> (any node: a follower forwards).</summary>
    public SimClient SubmitWrite(int node)
    {
        var target = Node(node);
        var client = new SimClient(NewCommandId(), node, SimClientKind.Write, Steps);
        _clients.Add(client);
        OnStep(target, TraceKind.Propose, client, (_, _) =>
            target.Clients!.Command(SimStateMachine.ClientCommand(client.Id), client, forwarded: false, target.Clients.AnswerByTick()));
        return client;
    }

    /// <summary>A client reads through <paramref name="node"/> (ReadIndex; a follower asks the leader).</summary>
    public SimClient SubmitRead(int node)
    {
        var target = Node(node);
        var readId = -_clients.Count - 1; // negative: never a command id
        var client = new SimClient(readId, node, SimClientKind.Read, Steps) { Read = _invariants.NewRead(readId) };
        _clients.Add(client);
        Stats.ReadsRequested++;
        OnStep(target, TraceKind.ReadIndex, client, (_, _) =>
            target.Clients!.Query(new SizeOfStack("s"), client, target.Clients.AnswerByTick()));
        return client;
    }

    private void SendClientMessage(int from, int to, object payload)
    {
        if (from != to && _random.NextDouble() < Loss) return;
        Schedule(new ClientDeliverEvent(from, to, payload), from == to ? 0 : MessageDelay());
    }

    private void OnClientDeliver(ClientDeliverEvent delivery)
    {
        var target = Node(delivery.To);
        if (!target.IsUp || target.Clients is null) return;
        if (delivery.From != delivery.To && _blocked[delivery.From - 1, delivery.To - 1]) return;
        switch (delivery.Payload)
        {
            case ForwardCopyPayload copy:
                var remote = new SimClient(copy.ForwardId, delivery.From, SimClientKind.ForwardedCopy, Steps) { ForwardId = copy.ForwardId };
                OnStep(target, TraceKind.Propose, copy, (_, _) =>
                    target.Clients!.Command(copy.Command, remote, forwarded: true, target.Clients.AnswerByTick()));
                break;
            case ForwardAnswerPayload answer:
                // False also for a write answered already, or an old incarnation's.
                if (target.Forwards!.OnAnswer(answer.ForwardId, answer.Reply, out var client, out var final)) RecordAnswer(target, client, final);
                break;
        }
    }

    private void OnDispatch(DispatchEvent dispatch)
    {
        var node = Node(dispatch.Node);
        if (!node.IsUp || node.Incarnation != dispatch.Incarnation || node.Clients is null) return;
        OnStep(node, TraceKind.Note, "dispatch waiting requests", (_, _) => node.Clients!.DispatchWaiting());
    }

    /// <summary>Once per tick of a node: the driver's deadlines, forwarded writes' re-sends and deadlines, reads past their time.</summary>
    private void ClientTick(SimNode node)
    {
        if (node.Clients is not { } clients) return;
        OnStep(node, TraceKind.Note, "client tick", (_, _) =>
        {
            clients.Tick();
            var answers = new List<(SimClient Client, NodeReply Reply)>();
            var resends = new List<(int LeaderId, ForwardedWriteCopy Copy)>();
            node.Forwards!.Tick(clients.Now, answers, resends);
            foreach (var (client, reply) in answers) RecordAnswer(node, client, reply);
            foreach (var (leaderId, copy) in resends) SendClientMessage(node.Id, leaderId, new ForwardCopyPayload(copy.WriteId, copy.Command));
            var reads = node.ClientReadsAwaitingApply;
            for (var i = reads.Count - 1; i >= 0; i--)
            {
                if (reads[i].ServeByTick > clients.Now) continue;
                var late = reads[i];
                reads.RemoveAt(i);
                AnswerClient(node, late, new NotStarted("read not served in time"));
            }
        });
    }

    /// <summary>The committed entries a Ready hands out: their waiting clients are answered once applied.</summary>
    private IReadOnlyDictionary<long, SimClient> ClientWaiters(SimNode node, IReadOnlyList<LogEntry> committed) =>
        node.Clients is { } clients && committed.Count > 0 ? clients.TakeWaiters(committed) : EmptyWaiters;

    private static readonly IReadOnlyDictionary<long, SimClient> EmptyWaiters = new Dictionary<long, SimClient>();

    private void ServeClientReads(SimNode node)
    {
        var reads = node.ClientReadsAwaitingApply;
        for (var i = reads.Count - 1; i >= 0; i--)
        {
            var client = reads[i];
            if (node.Machine.AppliedIndex < client.Read!.ReadIndex) continue;
            reads.RemoveAt(i);
            var value = _invariants.CheckRead(node, client.Read);
            Stats.ReadsServed++;
            AnswerClient(node, client, new Completed(new StackResult(StackOutcome.Ok, Size: value)));
        }
    }

    /// <summary>An answer leaves <paramref name="node"/>: to a local client, or back to the follower that forwarded the copy.</summary>
    private void AnswerClient(SimNode node, SimClient client, NodeReply reply)
    {
        if (client.Kind == SimClientKind.ForwardedCopy)
            SendClientMessage(node.Id, client.Origin, new ForwardAnswerPayload(client.ForwardId, reply));
        else
            RecordAnswer(node, client, reply);
    }

    private void RecordAnswer(SimNode node, SimClient client, NodeReply reply)
    {
        if (client.Answer is not null)
            throw Fail($"EXACTLY ONE ANSWER: n{node.Id} answers {client} with {reply}, already answered {client.Answer}");
        if (client.Dropped)
            throw Fail($"EXACTLY ONE ANSWER: n{node.Id} answers {client} after its node crashed under it");
        client.Answer = reply;
        Trace.Add(Steps, Now, TraceKind.ReadServed, node.Id, $"{client} answered {reply}");
    }

    /// <summary>The process died: its clients see a dropped connection; its forwarded writes are gone with it.</summary>
    private void DropClientsOf(SimNode node)
    {
        foreach (var client in _clients)
            if (client.Origin == node.Id && client.Answer is null) client.Dropped = true;
        node.Forwards = null;
        node.ClientReadsAwaitingApply.Clear();
        node.Clients = null;
    }

    /// <summary>After settling (everything healed, every node applied a probe): what the clients were told holds.</summary>
    private void CheckClientOutcomes()
    {
        foreach (var client in _clients)
        {
            if (client.Dropped) continue;
            if (client.Answer is null)
                throw Fail($"LIVENESS: {client} (submitted at step {client.SubmittedAtStep}) never got an answer");
            if (client.Kind != SimClientKind.Write) continue;
            var applied = _nodes.Count(n => n.Machine.HasApplied(client.Id));
            if (client.Answer is NotStarted && applied > 0)
                throw Fail($"NOT STARTED MEANS NOT APPLIED: {client} was answered {client.Answer} but {applied} node(s) applied it");
            if (client.Answer is Completed && applied != _nodes.Length)
                throw Fail($"ACKNOWLEDGED MEANS APPLIED: {client} was answered {client.Answer} but only {applied} of {_nodes.Length} nodes applied it after healing");
        }
    }

    private sealed class SimClientEffects(SimCluster cluster, SimNode node) : IClientEffects<SimClient>
    {
        public void Answer(SimClient client, NodeReply reply) => cluster.AnswerClient(node, client, reply);

        public void HandedOver(SimClient client, LeadershipHandedOver result) { }

        public bool Forward(StackCommand command, SimClient client, int leaderId, long ticksLeft)
        {
            var copy = node.Forwards!.Add(command, client, leaderId, node.Clients!.Now, ticksLeft);
            cluster.SendClientMessage(node.Id, leaderId, new ForwardCopyPayload(copy.WriteId, copy.Command));
            return true;
        }

        public void NewLeaderForForwardedWrites(int leaderId)
        {
            foreach (var copy in node.Forwards!.OnLeader(leaderId))
                cluster.SendClientMessage(node.Id, leaderId, new ForwardCopyPayload(copy.WriteId, copy.Command));
        }

        public void ServeRead(long readIndex, StackQuery query, SimClient client, long ticksLeft)
        {
            if (client.Kind == SimClientKind.ForwardedCopy) return; // reads are never forwarded as copies
            client.Read!.ReadIndex = readIndex;
            client.ServeByTick = node.Clients!.Now + ticksLeft;
            node.ClientReadsAwaitingApply.Add(client);
        }

        public void ReadyMayFollow() { }

        public void DispatchWaitingSoon() => cluster.Schedule(new DispatchEvent(node.Id, node.Incarnation), 0);

        public void Log(string line) { }
    }
}
