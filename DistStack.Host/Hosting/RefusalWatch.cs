using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Host.CommandLine;

namespace DistStack.Host.Hosting;

/// <summary>
/// A node whose RaftNode refused to start (its data belongs elsewhere, or its journal was lost) can never serve:
/// stop the process with <see cref="ExitCodes.RefusedToStart"/> so a supervisor (systemd, Docker, an operator)
/// sees a failure and the reason in the log, instead of a process that answers 503 forever.
/// </summary>
public sealed class RefusalWatch : ReceiveActor
{
    /// <summary>The exit code the process ends with; null while nothing refused.</summary>
    public static int? ExitCode { get; private set; }

    public RefusalWatch(IHostApplicationLifetime lifetime)
    {
        Context.System.EventStream.Subscribe(Self, typeof(NodeRefusedToStart));
        Receive<NodeRefusedToStart>(refused =>
        {
            ExitCode = ExitCodes.RefusedToStart;
            Console.Error.WriteLine($"node {refused.NodeId} stops: {refused.Reason}");
            lifetime.StopApplication();
        });
    }

    public static Props Props(IHostApplicationLifetime lifetime) => Akka.Actor.Props.Create(() => new RefusalWatch(lifetime));
}
