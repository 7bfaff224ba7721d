using Akka.Actor;
using Akka.Event;
using DistStack.Actors.Node;

namespace DistStack.Host.Gateway;

/// <summary>
/// Between HTTP and Raft: gives every command a request key and hands it to the local RaftNode with the asker as
/// sender, so RaftNode answers the HTTP handler's Ask directly. RaftNode answers every command and read within its
/// request timeout (OutcomeUnknown if a command's fate is unknown, HTTP 504, retry with the same key), and answers
/// everything still waiting when it stops; the handler's Ask (request timeout + margin) covers a RaftNode that is
/// gone altogether. Work refused here never reached Raft, so it is <see cref="NotStarted"/> (HTTP 503).
/// (This actor used to Ask RaftNode itself and pipe the answer back: a second temporary actor, timer, task
/// continuation and message per request, about a tenth of the leader's HTTP-path CPU in profiles.)
/// </summary>
public sealed class HttpGateway : ReceiveActor
{
    private readonly IActorRef _raftNode;
    private readonly GatewaySettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private string? _refusal;

    public static Props Props(IActorRef raftNode, GatewaySettings settings) =>
        Akka.Actor.Props.Create(() => new HttpGateway(raftNode, settings));

    public HttpGateway(IActorRef raftNode, GatewaySettings settings)
    {
        _raftNode = raftNode;
        _settings = settings;
        Context.Watch(raftNode);

        Receive<RunCommand>(run =>
        {
            var command = run.IdempotencyKey is { } clientKey
                ? run.ToCommand(clientKey) with { KeyFromClient = true }
                : run.ToCommand(NewRequestKey());
            HandToRaftNode(new ExecuteCommand(command));
        });

        Receive<RunQuery>(run => HandToRaftNode(new ExecuteQuery(run.Query)));

        // Membership changes and the member list: RaftNode answers the asker itself, as for commands.
        Receive<ChangeMembership>(change =>
        {
            if (_refusal is not null) Sender.Tell(new MembershipReply.NotStarted(_refusal, null));
            else _raftNode.Tell(change, Sender);
        });
        Receive<GetMembership>(get => _raftNode.Tell(get, Sender));

        Receive<RequestStatus>(_ =>
        {
            var replyTo = Sender;
            _raftNode.Ask<NodeStatus>(GetNodeStatus.Instance, _settings.RequestTimeout).PipeTo(replyTo,
                success: status => new StatusReply.Known(status),
                failure: ex => new StatusReply.Unavailable($"the Raft node did not report its status ({ex.GetType().Name})"));
        });

        Receive<BeginShutdown>(shutdown =>
        {
            _refusal = "this node is shutting down; try another node";
            _raftNode.Ask<LeadershipHandedOver>(HandOverLeadership.Instance, shutdown.HandOverTimeout).PipeTo(Sender);
        });

        Receive<Terminated>(t => t.ActorRef.Equals(_raftNode), _ =>
        {
            _log.Error("The Raft node actor stopped; every request is refused from now on");
            _refusal = "the Raft node of this process has stopped";
        });
    }

    private void HandToRaftNode(object message)
    {
        if (_refusal is not null)
        {
            Sender.Tell(new NotStarted(_refusal));
            return;
        }
        // RaftNode bounds what it holds itself (diststack.clients.max-in-flight, answered NotStarted "overloaded").
        _raftNode.Tell(message, Sender);
    }

    // 128 bits of randomness: unique per request, so only a retry that carries the same key can dedupe.
    private static string NewRequestKey() => Guid.NewGuid().ToString("N");

}
