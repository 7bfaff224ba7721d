using Akka.Actor;
using Akka.Event;
using DistStack.Actors.Actors;

namespace DistStack.Host.Gateway;

/// <summary>
/// Between HTTP and Raft: gives every command a request key, asks the local RaftNode with a bounded timeout, and
/// turns "no answer" into the right kind of failure. A command that timed out may still commit, so it is
/// <see cref="OutcomeUnknown"/> (HTTP 504, retry with the same key); work refused here never reached Raft, so it
/// is <see cref="NotStarted"/> (HTTP 503). Answers always arrive: an Ask that fails is mapped, never dropped.
/// </summary>
public sealed class HttpGateway : ReceiveActor
{
    private readonly IActorRef _raftNode;
    private readonly GatewaySettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _inFlight;
    private string? _refusal;

    /// <summary>An Ask of the RaftNode came back (or failed); <see cref="Reply"/> goes to <see cref="ReplyTo"/>.</summary>
    private sealed record Finished(IActorRef ReplyTo, object Reply);

    public static Props Props(IActorRef raftNode, GatewaySettings settings) =>
        Akka.Actor.Props.Create(() => new HttpGateway(raftNode, settings));

    public HttpGateway(IActorRef raftNode, GatewaySettings settings)
    {
        _raftNode = raftNode;
        _settings = settings;
        Context.Watch(raftNode);

        Receive<RunCommand>(run =>
        {
            var command = run.ToCommand(run.IdempotencyKey ?? NewRequestKey());
            AskRaftNode(new ExecuteCommand(command), ex => new OutcomeUnknown(
                $"no answer from Raft within {Describe(_settings.RequestTimeout)} ({ex.GetType().Name}); the command may or may not take effect"));
        });

        Receive<RunQuery>(run => AskRaftNode(new ExecuteQuery(run.Query), ex => new OutcomeUnknown(
            $"no answer from Raft within {Describe(_settings.RequestTimeout)} ({ex.GetType().Name}); a read changes nothing, retry")));

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

        Receive<Finished>(finished =>
        {
            _inFlight--;
            finished.ReplyTo.Tell(finished.Reply is NodeReply reply
                ? reply
                : new OutcomeUnknown($"unexpected answer from Raft: {finished.Reply.GetType().Name}"));
        });

        Receive<Terminated>(t => t.ActorRef.Equals(_raftNode), _ =>
        {
            _log.Error("The Raft node actor stopped; every request is refused from now on");
            _refusal = "the Raft node of this process has stopped";
        });
    }

    private void AskRaftNode(object message, Func<Exception, NodeReply> onFailure)
    {
        if (_refusal is not null)
        {
            Sender.Tell(new NotStarted(_refusal));
            return;
        }
        if (_inFlight >= _settings.MaxInFlight)
        {
            Sender.Tell(new NotStarted($"overloaded: {_inFlight} requests are waiting for Raft"));
            return;
        }

        _inFlight++;
        var replyTo = Sender;
        _raftNode.Ask(message, _settings.RequestTimeout).PipeTo(Self,
            success: reply => new Finished(replyTo, reply),
            failure: ex => new Finished(replyTo, onFailure(ex)));
    }

    // 128 bits of randomness: unique per request, so only a retry that carries the same key can dedupe.
    private static string NewRequestKey() => Guid.NewGuid().ToString("N");

    private static string Describe(TimeSpan t) => t.TotalSeconds >= 1 ? $"{t.TotalSeconds:0.###} s" : $"{t.TotalMilliseconds:0} ms";
}
