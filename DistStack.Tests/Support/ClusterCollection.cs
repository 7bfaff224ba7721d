namespace DistStack.Tests.Support;

/// <summary>
/// Tests that start clusters (ActorSystems on loopback, or real processes) join this collection so they run one
/// at a time: on 2 cores, two clusters electing leaders side by side would make each other's timeouts flaky.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "Clusters (one at a time)";
}
