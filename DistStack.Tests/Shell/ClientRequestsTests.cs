using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Actors.Shell;
using DistStack.Actors.Stacks;
using DistStack.Tests.Core;

namespace DistStack.Tests.Shell;

/// <summary>
/// The decisions about client requests, without an actor: a real RaftCore driven by hand, a recorder of effects,
/// time in ticks. Every request must get exactly one answer, within its one budget.
/// </summary>
public sealed class ClientRequestsTests
{
    private sealed class Client(string name)
    {
        public override string ToString() => name;
    }

    private sealed class Recorder : IClientEffects<Client>
    {
        public List<(Client Client, NodeReply Reply)> Answers { get; } = [];
        public List<(StackCommand Command, Client Client, int Leader, long TicksLeft)> Forwards { get; } = [];
        public List<(long ReadIndex, Client Client, long TicksLeft)> Reads { get; } = [];
        public List<int> NewLeaders { get; } = [];
        public bool CanAddress { get; set; } = true;
        public int DispatchRequests { get; private set; }

        public void Answer(Client client, NodeReply reply) => Answers.Add((client, reply));
        public void HandedOver(Client client, LeadershipHandedOver result) { }
        public bool Forward(StackCommand command, Client client, int leaderId, long ticksLeft)
        {
            if (CanAddress) Forwards.Add((command, client, leaderId, ticksLeft));
            return CanAddress;
        }
        public void NewLeaderForForwardedWrites(int leaderId) => NewLeaders.Add(leaderId);
        public void ServeRead(long readIndex, StackQuery query, Client client, long ticksLeft) => Reads.Add((readIndex, client, ticksLeft));
        public void ReadyMayFollow() { }
        public void DispatchWaitingSoon() => DispatchRequests++;
        public void Log(string line) { }
    }

    private static readonly ClientRequestLimits Limits = new(NodeId: 1, AnswerWithinTicks: 99, NoLeaderWaitTicks: 40, HandOverTicks: 60, MaxInFlight: 2);

    private long _wallClock = 1_796_000_000_000;

    private (ClientRequests<Client> Requests, Recorder Effects) Over(RaftCore core, ClientRequestLimits? limits = null)
    {
        var effects = new Recorder();
        return (new ClientRequests<Client>(core, limits ?? Limits, effects, firstReadId: 1000, wallClockMs: () => _wallClock), effects);
    }

    /// <summary>Takes the core's Readies as a shell whose writes are durable at once, telling the requests what it sees.</summary>
    private static List<LogEntry> Pump(RaftCore core, ClientRequests<Client> requests)
    {
        var committed = new List<LogEntry>();
        var loop = new ReadyLoop(core, maxInFlight: 1);
        while (loop.Take() is { } taken)
        {
            if (taken.Ready.SoftState is { } soft) requests.OnSoftState(soft);
            committed.AddRange(taken.ApplyNow);
            requests.OnReadStates(taken.ReadsNow);
            foreach (var durable in loop.Durable(taken))
            {
                committed.AddRange(durable.ApplyNow);
                requests.OnReadStates(durable.ReadsNow);
            }
        }
        return committed;
    }

    private static RaftCore SoloCluster() =>
        new(Solo.Options(1), new FixedRandom(), RaftBootstrap.Initial(ClusterConfiguration.Of(1)));

    [Fact]
    public void A_command_on_the_leader_is_proposed_with_the_leaders_stamp_and_its_client_waits_for_the_apply()
    {
        var core = SoloCluster();
        var (requests, effects) = Over(core);
        core.Campaign();
        Pump(core, requests);
        Assert.True(requests.IsLeader);

        var client = new Client("c");
        requests.Command(new PushValue("k", "s", "v") { KeyFromClient = true }, client, forwarded: false, requests.AnswerByTick());
        var committed = Pump(core, requests);
        var entry = committed.Single(e => e.Kind == EntryKind.Command);

        Assert.Equal(client, requests.TakeWaiters(committed)[entry.Index]);
        StackCommandCodec.Decode(entry.Data, out var stamp);
        Assert.Equal(_wallClock, stamp);
        Assert.Empty(effects.Answers); // the state machine answers it, not the tracker
    }

    [Fact]
    public void Stamps_never_go_back_when_the_wall_clock_does()
    {
        var core = SoloCluster();
        var (requests, _) = Over(core, Limits with { MaxInFlight = 10 });
        core.Campaign();
        Pump(core, requests);

        requests.Command(new PushValue("a", "s", "v"), new Client("a"), false, requests.AnswerByTick());
        _wallClock -= 60_000;
        requests.Command(new PushValue("b", "s", "v"), new Client("b"), false, requests.AnswerByTick());
        var stamps = Pump(core, requests).Where(e => e.Kind == EntryKind.Command)
            .Select(e => { StackCommandCodec.Decode(e.Data, out var s); return s; }).ToList();

        Assert.Equal([_wallClock + 60_000, _wallClock + 60_000], stamps);
    }

    [Fact]
    public void With_no_leader_a_command_waits_then_is_not_started_at_the_no_leader_wait()
    {
        var (requests, effects) = Over(Solo.Core(1, 3));
        var client = new Client("c");
        requests.Command(new PushValue("k", "s", "v"), client, false, requests.AnswerByTick());

        for (var i = 0; i < 39; i++) requests.Tick();
        Assert.Empty(effects.Answers);
        requests.Tick();
        Assert.Equal([(client, (NodeReply)new NotStarted("no leader"))], effects.Answers);
    }

    [Fact]
    public void The_wait_for_a_leader_and_the_forward_share_one_budget()
    {
        var core = Solo.Core(1, 3);
        var (requests, effects) = Over(core);
        var client = new Client("c");
        requests.Command(new PushValue("k", "s", "v"), client, false, requests.AnswerByTick());
        for (var i = 0; i < 30; i++) requests.Tick();

        // Node 2 leads now: the command goes there with what is left of its budget, 99 - 30 ticks.
        core.Step(new Heartbeat(Solo.ClusterId, 2, 1, 1, 0, 0));
        Pump(core, requests);
        requests.DispatchWaiting();

        var forward = Assert.Single(effects.Forwards);
        Assert.Equal((client, 2, 69L), (forward.Client, forward.Leader, forward.TicksLeft));
        Assert.Equal(1, effects.DispatchRequests);
        Assert.Empty(effects.Answers);
    }

    [Fact]
    public void A_command_already_forwarded_is_never_forwarded_again()
    {
        var core = Solo.Core(1, 3);
        var (requests, effects) = Over(core);
        core.Step(new Heartbeat(Solo.ClusterId, 2, 1, 1, 0, 0));
        Pump(core, requests);

        var client = new Client("c");
        requests.Command(new PushValue("k", "s", "v"), client, forwarded: true, requests.AnswerByTick());

        Assert.Empty(effects.Forwards);
        Assert.IsType<NotStarted>(Assert.Single(effects.Answers).Reply);
    }

    [Fact]
    public void A_proposal_not_committed_by_its_deadline_is_outcome_unknown_exactly_once()
    {
        var core = Solo.Leader(voters: 3);
        var (requests, effects) = Over(core);
        Pump(core, requests);
        var client = new Client("c");
        requests.Command(new PushValue("k", "s", "v"), client, false, requests.AnswerByTick());
        Pump(core, requests); // no follower answers: it cannot commit

        for (var i = 0; i < 98; i++) requests.Tick();
        Assert.Empty(effects.Answers);
        requests.Tick();
        requests.FailAll("stopping"); // answered already: not answered twice
        Assert.Equal([(client, (NodeReply)new OutcomeUnknown("not committed in time; it may still be applied"))], effects.Answers);
    }

    [Fact]
    public void Beyond_the_in_flight_bound_a_command_is_not_started_at_once()
    {
        var core = Solo.Leader(voters: 3);
        var (requests, effects) = Over(core);
        Pump(core, requests);
        for (var i = 0; i < 3; i++)
            requests.Command(new PushValue($"k{i}", "s", "v"), new Client($"c{i}"), false, requests.AnswerByTick());

        var refused = Assert.Single(effects.Answers);
        Assert.Equal("c2", refused.Client.ToString());
        Assert.Contains("overloaded", ((NotStarted)refused.Reply).Reason);
    }

    [Fact]
    public void Another_entry_committed_at_a_proposals_index_means_it_can_never_apply()
    {
        var core = Solo.Leader(voters: 3);
        var (requests, effects) = Over(core);
        Pump(core, requests);
        var client = new Client("c");
        requests.Command(new PushValue("k", "s", "v"), client, false, requests.AnswerByTick());
        var proposedAt = core.Status.LastLogIndex;

        var waiters = requests.TakeWaiters([new LogEntry(proposedAt, core.Status.Term + 1, EntryKind.Command, [])]);

        Assert.Empty(waiters);
        Assert.IsType<NotStarted>(Assert.Single(effects.Answers).Reply);
    }

    [Fact]
    public void A_read_is_served_at_its_confirmed_index_within_what_is_left_of_its_budget()
    {
        var core = SoloCluster();
        var (requests, effects) = Over(core);
        core.Campaign();
        Pump(core, requests);
        Pump(core, requests);
        for (var i = 0; i < 9; i++) requests.Tick();

        var client = new Client("r");
        requests.Query(new SizeOfStack("s"), client, requests.AnswerByTick());
        Pump(core, requests);

        var read = Assert.Single(effects.Reads);
        Assert.Equal((client, core.Status.CommitIndex, 99L), (read.Client, read.ReadIndex, read.TicksLeft));
    }

    [Fact]
    public void Failing_all_answers_every_waiting_request_once()
    {
        var core = Solo.Leader(voters: 3);
        var (requests, effects) = Over(core, Limits with { MaxInFlight = 10 });
        Pump(core, requests);
        var proposal = new Client("proposal");
        var read = new Client("read");
        requests.Command(new PushValue("k", "s", "v"), proposal, false, requests.AnswerByTick());
        requests.Query(new SizeOfStack("s"), read, requests.AnswerByTick());

        requests.FailAll("journal write failed");
        requests.FailAll("again");

        Assert.Equal(2, effects.Answers.Count);
        Assert.IsType<OutcomeUnknown>(effects.Answers.Single(a => a.Client == proposal).Reply);
        Assert.IsType<NotStarted>(effects.Answers.Single(a => a.Client == read).Reply);
    }
}
