using System.Diagnostics;
using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Actors.Stacks;

namespace DistStack.Tests.InProcessCluster;

/// <summary>
/// Measures a failover as a client sees it: from the kill until a command first completes. Like an impatient
/// client, it sends the same command (same request key, so applied at most once) every 20 ms to the surviving
/// nodes in turn, without waiting for earlier attempts, and stops at the first completion.
/// </summary>
public static class FailoverClient
{
    public static async Task<TimeSpan> TimeToNextCommit(
        InProcessNodes nodes, IReadOnlyList<int> survivors, StackCommand command, Stopwatch sinceKill, TimeSpan within)
    {
        var completed = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = new List<Task>();
        var attempt = 0;
        while (!completed.Task.IsCompleted && sinceKill.Elapsed < within)
        {
            var via = survivors[attempt++ % survivors.Count];
            attempts.Add(Attempt(nodes.Node(via), command, sinceKill, completed));
            await Task.WhenAny(completed.Task, Task.Delay(20));
        }
        if (!completed.Task.IsCompleted) throw new TimeoutException($"no commit within {within.TotalSeconds} s of the kill");
        return await completed.Task;
    }

    private static async Task Attempt(IActorRef node, StackCommand command, Stopwatch sinceKill, TaskCompletionSource<TimeSpan> completed)
    {
        try
        {
            var reply = await node.Ask<NodeReply>(new ExecuteCommand(command), TimeSpan.FromSeconds(3));
            if (reply is Completed) completed.TrySetResult(sinceKill.Elapsed);
        }
        catch (AskTimeoutException) { }
    }
}
