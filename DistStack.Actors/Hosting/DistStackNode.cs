using Akka.Actor;
using Akka.Configuration;
using DistStack.Actors.Node;
using DistStack.Actors.Observability;
using DistStack.Actors.Persistence;

namespace DistStack.Actors.Hosting;

/// <summary>
/// Starting a node, in one place. Plain ActorSystem:
/// <code>
///   var settings = RaftNodeSettings.Load(config);          // reconciles with the data directory's identity
///   var node = DistStackNode.Create(settings);             // ActorSystem "diststack" + /user/raft-node
///   node.RaftNode.Ask&lt;NodeReply&gt;(new ExecuteCommand(...));
/// </code>
/// Akka.Hosting: AddHocon(NodeConfig.Build(settings), HoconAddMode.Prepend), AddSetup(
/// PersistencePlugins.Setup(settings).DataOptionsSetup), and in WithActors:
/// <c>DistStackNode.Start(system, settings)</c> (do not also call WithRemoting/WithClustering: the config has them).
/// </summary>
public sealed class DistStackNode(ActorSystem system, IActorRef raftNode, NodePersistenceSetup persistence) : IAsyncDisposable
{
    public ActorSystem System { get; } = system;

    /// <summary>The supervised RaftNode at /user/raft-node: send it ExecuteCommand, ExecuteQuery, GetNodeStatus, HandOverLeadership.</summary>
    public IActorRef RaftNode { get; } = raftNode;

    public NodePersistenceSetup Persistence { get; } = persistence;

    /// <summary>Starts the supervised RaftNode at /user/raft-node, the path its peers address, and the overview responder beside it.</summary>
    public static IActorRef Start(ActorSystem system, RaftNodeSettings settings)
    {
        system.ActorOf(NodeOverviewResponder.Props(settings.NodeId), NodeOverviewResponder.ActorName);
        return system.ActorOf(Node.RaftNode.SupervisedProps(settings), Node.RaftNode.ActorName);
    }

    public static DistStackNode Create(
        RaftNodeSettings settings, IReadOnlyList<string>? transportAdapters = null, Config? overrides = null)
    {
        var (setup, persistence) = NodeConfig.Bootstrap(settings, transportAdapters, overrides);
        var system = ActorSystem.Create(NodeConfig.ActorSystemName, setup);
        return new DistStackNode(system, Start(system, settings), persistence);
    }

    public async ValueTask DisposeAsync()
    {
        // Bounded: with downing off, a dead peer can keep a graceful cluster leave from ever completing.
        try { await System.Terminate().WaitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false); }
        catch (TimeoutException) { }
    }
}
