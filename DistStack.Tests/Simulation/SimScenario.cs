using DistStack.Tests.Support;
using DistStack.Actors.Raft;

namespace DistStack.Tests.Simulation;

/// <summary>Builds scripted clusters for the scenario tests: a reliable network, 1-unit delays and disk writes.</summary>
internal static class SimScenario
{
    public static SimCluster Cluster(int nodes, string testName, Func<RaftOptions, RaftOptions>? raft = null, int seed = 7) =>
        new(new SimSettings
        {
            Nodes = nodes,
            Seed = seed,
            Raft = raft?.Invoke(CoreKnobs.For(0, 0)) ?? CoreKnobs.For(0, 0),
            ReplayHint = $"dotnet test --filter \"FullyQualifiedName~Simulation.{testName}\" (scripted, seed {seed})",
        });

    /// <summary>A reliable cluster with a leader elected and its first entry committed.</summary>
    public static (SimCluster Cluster, int Leader) WithLeader(int nodes, string testName, Func<RaftOptions, RaftOptions>? raft = null, int seed = 7)
    {
        var cluster = Cluster(nodes, testName, raft, seed);
        var leader = cluster.ElectLeader();
        return (cluster, leader);
    }

    public static IEnumerable<int> Others(this SimCluster cluster, params int[] except) =>
        Enumerable.Range(1, cluster.Settings.Nodes).Where(id => !except.Contains(id));
}
