using System.Diagnostics;
using System.Text;

namespace DistStack.Tests.Chaos;

/// <summary>
/// The membership faults of the nemesis, done as an operator would, over the HTTP API of a random live node (a
/// follower forwards a change to the leader): replace a node whose disk is lost (remove it, SIGKILL it, delete its
/// data dir, start it with --join, add it back with raftexample's <c>POST /{id}</c>), or remove a node and add it back
/// as it is. Each step is retried like a client would (503, 504, no answer, and 409 "not committed yet" or a strict
/// reconfiguration refusal), which is safe because a change is idempotent by target state. A replacement that fails
/// half way is finished by <see cref="FinishAsync"/>: the cluster is never left with fewer than five members.
/// </summary>
public sealed class MembershipFaults(IChaosCluster cluster, ClusterProbe probe, Random random, Action<string> log)
{
    /// <summary>Bound of each step (a change's definite answer, the promotion, the catch-up).</summary>
    public static readonly TimeSpan StepLimit = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The node whose removal may have happened without its addition back (healing finishes it).</summary>
    private IChaosNode? _unfinished;

    /// <summary>
    /// Removes <paramref name="victim"/>, and with <paramref name="wipe"/> kills it, deletes its data dir and starts it with
    /// --join; then adds it back and waits until it is a voter that applied the leader's commit index. Returns how long
    /// each step took.
    /// </summary>
    public async Task<string> ReplaceAsync(IChaosNode victim, bool wipe, TimeSpan hold)
    {
        _unfinished = victim;
        var steps = new StringBuilder();
        var clock = Stopwatch.StartNew();
        void Step(string name)
        {
            steps.Append($"{name} {clock.ElapsedMilliseconds} ms, ");
            clock.Restart();
        }

        await ChangeAsync(HttpMethod.Delete, $"/{victim.Id}", null);
        Step("removed");
        if (wipe)
        {
            victim.Note("chaos: SIGKILL, then the data dir is deleted (lost disk)");
            await victim.KillAsync();
            victim.WipeData();
            victim.Start();
            Step("killed+wiped+started with --join");
        }
        else
        {
            // A removed node that keeps running learns it was removed and waits; adding it back must revive it.
            await Task.Delay(hold);
            Step("left out");
        }

        await ChangeAsync(HttpMethod.Post, $"/{victim.Id}", victim.RaftUrl);
        Step("added back");
        await WaitUntilVoterAsync(victim);
        Step("voter");
        await WaitUntilCaughtUpAsync(victim);
        Step("caught up");
        _unfinished = null;
        return steps.ToString().TrimEnd(' ', ',');
    }

    /// <summary>Heal: a node removed and not yet back (running, added, a voter) is brought back.</summary>
    public async Task FinishAsync()
    {
        if (_unfinished is not { } node)
        {
            return;
        }

        log($"nemesis: finishing the replacement of node {node.Id}");
        if (node.IsPaused)
        {
            node.Resume();
        }

        if (!node.IsRunning)
        {
            node.Start();
        }

        await ChangeAsync(HttpMethod.Post, $"/{node.Id}", node.RaftUrl);
        await WaitUntilVoterAsync(node);
        await WaitUntilCaughtUpAsync(node);
        _unfinished = null;
        log($"nemesis: node {node.Id} is a voter again");
    }

    /// <summary>A change sent to random live nodes until it answers 200; any other definite answer is a failure.</summary>
    private async Task ChangeAsync(HttpMethod method, string path, string? body)
    {
        var deadline = Stopwatch.StartNew();
        var last = "no attempt";
        while (deadline.Elapsed < StepLimit)
        {
            var live = cluster.Nodes.Where(n => n.IsRunning && !n.IsPaused).ToList();
            var node = live[random.Next(live.Count)];
            var (status, text) = await SendAsync(node, method, path, body);
            last = $"node {node.Id}: {(status == 0 ? text : $"{status} {text}")}";
            if (status == 200)
            {
                log($"nemesis: {method} {path} {body} -> {last}");
                return;
            }

            // 409 for a change still in flight (e.g. the promotion of an earlier one) or a voter not heard from lately
            // (just restarted) is "not now", as 503 is: nothing changed.
            var retry = status is 0 or 503 or 504 ||
                        status == 409 && (text.Contains("not committed yet") || text.Contains("strict reconfiguration"));
            if (!retry)
            {
                throw new InvalidOperationException($"{method} {path} {body}: {last}");
            }

            await Task.Delay(200 + random.Next(300));
        }

        throw new TimeoutException($"{method} {path} {body}: no 200 within {StepLimit.TotalSeconds:F0} s; last {last}");
    }

    private async Task<(int Status, string Text)> SendAsync(IChaosNode node, HttpMethod method, string path, string? body)
    {
        using var timeout = new CancellationTokenSource(AttemptTimeout);
        using var request = new HttpRequestMessage(method, new Uri(node.HttpUrl, path));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded");
        }

        try
        {
            using var response = await cluster.Http.SendAsync(request, timeout.Token);
            return ((int)response.StatusCode, (await response.Content.ReadAsStringAsync(timeout.Token)).Trim());
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return (0, e is OperationCanceledException ? "timeout" : "no connection");
        }
    }

    /// <summary>Until the leader lists it as a voter (the automatic promotion committed) and the node itself says so.</summary>
    private async Task WaitUntilVoterAsync(IChaosNode node)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StepLimit)
        {
            var statuses = await probe.StatusesAsync(TimeSpan.FromSeconds(2));
            var leader = statuses.Values.Where(s => s.Role == "leader").MaxBy(s => s.Term);
            if (leader?.Members.FirstOrDefault(m => m.Id == node.Id)?.Role == "voter" &&
                statuses.TryGetValue(node.Id, out var own) && own.Membership == "voter")
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"node {node.Id} is not a voter again {StepLimit.TotalSeconds:F0} s after it was added:\n" +
                                   ClusterProbe.Describe(await probe.StatusesAsync()));
    }

    /// <summary>Until the node applied the commit index the leader had once the node was a voter.</summary>
    private async Task WaitUntilCaughtUpAsync(IChaosNode node)
    {
        var deadline = Stopwatch.StartNew();
        long? target = null;
        while (deadline.Elapsed < StepLimit)
        {
            var statuses = await probe.StatusesAsync(TimeSpan.FromSeconds(2));
            target ??= statuses.Values.Where(s => s.Role == "leader").MaxBy(s => s.Term)?.CommitIndex;
            if (target is not null && statuses.TryGetValue(node.Id, out var own) && own.AppliedIndex >= target)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"node {node.Id} did not apply the leader's commit index {target} within {StepLimit.TotalSeconds:F0} s");
    }
}
