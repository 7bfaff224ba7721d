namespace DistStack.Tests.Support;

public sealed partial class NodeProcess
{
    /// <summary>
    /// Start with <c>--join</c> from now on: set once the data dir was wiped. It stays set, because a node killed before it
    /// was added again must not restart as a founder (an empty journal without --join bootstraps the founders'
    /// configuration and could vote with a blank log); once the node has joined, its identity file makes --join a no-op.
    /// </summary>
    public bool JoinOnStart { get; set; }

    /// <summary>The Raft URL the cluster knows this node by, as raftexample's <c>POST /{id}</c> takes it.</summary>
    public string RaftUrl => $"http://127.0.0.1:{RaftPort}";

    /// <summary>The lost disk: deletes the whole data dir of a stopped node, and starts it with --join from now on.</summary>
    public void WipeDataDirectory()
    {
        if (IsRunning) throw new InvalidOperationException($"node {Id} is running: stop it before wiping its data dir");
        if (Directory.Exists(DataDir)) Directory.Delete(DataDir, recursive: true);
        JoinOnStart = true;
        Note($"wiped the data dir {DataDir}; starts with --join from now on");
    }

    private IEnumerable<string> StartArguments() =>
        JoinOnStart && !_arguments.Contains("--join") ? _arguments.Append("--join") : _arguments;
}
