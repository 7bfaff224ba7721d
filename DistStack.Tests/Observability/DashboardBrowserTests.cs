using System.Diagnostics;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Observability;

/// <summary>
/// The dashboard in a real browser (headless Chromium), served by a follower of a five-process cluster: it shows
/// the leader; the leader is SIGKILLed; within a few seconds the same page, never reloaded, shows the new leader,
/// the dead node, and the failover's times from the nodes' own event rings; then, with every other node frozen,
/// it says that the node it talks to is cut off. Screenshots go to artifacts/dashboard/ (the README's copies are
/// in docs/images/).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DashboardBrowserTests : IClassFixture<ObservedCluster>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>"Within a few seconds": an election takes about a second here, the page polls twice a second.</summary>
    private static readonly TimeSpan ShowsNewLeaderWithin = TimeSpan.FromSeconds(10);

    private readonly ObservedCluster _fixture;
    private ProcessCluster Cluster => _fixture.Cluster;

    public DashboardBrowserTests(ObservedCluster fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        fixture.Output = output.WriteLine;
    }

    private sealed record PageState(string Leader, string Term, string Banner, int Answered, string FailoverState,
        string NewLeader, string OldLeader, string ElectedAfterMs, string FirstWriteAfterMs, string FailoverText, string DeadCards);

    private const string ReadPage = """
        (() => {
          const f = document.getElementById('last-failover');
          return {
            Leader: document.getElementById('leader').dataset.leaderId,
            Term: document.getElementById('term').dataset.term,
            Banner: document.getElementById('banner').dataset.state,
            Answered: document.querySelectorAll('.member[data-answered="true"]').length,
            FailoverState: f.dataset.state,
            NewLeader: f.dataset.newLeader ?? '',
            OldLeader: f.dataset.oldLeader ?? '',
            ElectedAfterMs: f.dataset.electedAfterMs ?? '',
            FirstWriteAfterMs: f.dataset.firstWriteAfterMs ?? '',
            FailoverText: f.textContent,
            DeadCards: [...document.querySelectorAll('.member[data-answered="false"]')].map(m => m.dataset.nodeId).join(','),
          };
        })()
        """;

    [ChromiumFact]
    public async Task The_dashboard_on_a_follower_shows_the_new_leader_and_the_failover_time_after_the_leader_is_killed()
    {
        _fixture.Failed = true;
        var leader = await Cluster.WaitForLeaderAsync(Deadline);
        Assert.Equal(201, (await Cluster.PostUntilDefiniteAsync("/sCreate", "dash", "dashboard-create", Deadline, leader)).Answer.Status);
        await Cluster.WaitForConvergenceAsync(Deadline);
        var viewer = Cluster.Nodes.First(n => n != leader);
        var artifacts = ObservedCluster.ArtifactsDirectory("dashboard");

        await using var browser = await HeadlessChromium.StartAsync();
        Cluster.Log($"chromium pid {browser.Pid}; dashboard of {viewer}");
        await browser.NavigateAsync(new Uri(viewer.HttpUrl, "/"), Deadline);
        PageState? page = null;
        var shown = await ProcessCluster.EventuallyAsync(async () =>
        {
            page = await browser.EvaluateAsync<PageState>(ReadPage);
            return page is { Banner: "ok", Answered: 5 } && page.Leader == leader.Id.ToString();
        }, Deadline);
        Assert.True(shown, $"the dashboard never showed leader {leader.Id} with five members answering: {page}");
        var termBefore = long.Parse(page!.Term);
        await File.WriteAllBytesAsync(Path.Combine(artifacts, "before-failover.png"), await browser.ScreenshotAsync());

        var clock = Stopwatch.StartNew();
        Cluster.Log($"SIGKILL to leader {leader}");
        await leader.KillAsync();
        // A client write through the viewer: it is forwarded to the next leader, and ends the failover on the timeline.
        var write = Cluster.PostAsync(viewer, "/sPush", "dash,1", "dashboard-push-1", timeout: Deadline);

        var newLeaderShown = await ProcessCluster.EventuallyAsync(async () =>
        {
            page = await browser.EvaluateAsync<PageState>(ReadPage);
            return page is not null && page.Leader.Length > 0 && page.Leader != leader.Id.ToString() && long.Parse(page.Term) > termBefore;
        }, ShowsNewLeaderWithin);
        var shownAfter = clock.Elapsed;
        Assert.True(newLeaderShown, $"the dashboard did not show a new leader within {ShowsNewLeaderWithin} of the kill: {page}");
        Cluster.Log($"the page showed new leader {page!.Leader} (term {page.Term}) {shownAfter.TotalSeconds:0.00} s after the kill");

        var written = await write;
        Assert.Equal(200, written?.Status);
        Cluster.Log($"the push through {viewer} (sent right after the kill) answered 200 after {written!.Elapsed.TotalSeconds:0.00} s");
        var failoverShown = await ProcessCluster.EventuallyAsync(async () =>
        {
            page = await browser.EvaluateAsync<PageState>(ReadPage);
            return page is { FailoverState: "complete", Banner: "ok" } && page.NewLeader == page.Leader && page.DeadCards == leader.Id.ToString();
        }, ShowsNewLeaderWithin);
        Assert.True(failoverShown, $"the dashboard did not show the complete failover and node {leader.Id} down: {page}");
        Assert.Equal(leader.Id.ToString(), page!.OldLeader);
        var electedAfter = long.Parse(page.ElectedAfterMs);
        var firstWriteAfter = long.Parse(page.FirstWriteAfterMs);
        Cluster.Log($"dashboard says: {page.FailoverText}");
        // The page's times come from the nodes' rings: an election after the loss, the first write after the election.
        Assert.InRange(electedAfter, 1, (long)ShowsNewLeaderWithin.TotalMilliseconds);
        Assert.InRange(firstWriteAfter, electedAfter, (long)Deadline.TotalMilliseconds);
        Assert.Contains($"leader {leader.Id} lost at", page.FailoverText);
        await File.WriteAllBytesAsync(Path.Combine(artifacts, "after-failover.png"), await browser.ScreenshotAsync());

        // Now cut the viewer itself off (every other node frozen with SIGSTOP): the page must say so, not show stale data as live.
        var others = Cluster.Serving.Where(n => n != viewer).ToList();
        foreach (var node in others) node.Pause();
        try
        {
            var cutOffShown = await ProcessCluster.EventuallyAsync(async () =>
            {
                page = await browser.EvaluateAsync<PageState>(ReadPage);
                return page is { Banner: "cut-off", Answered: 1 };
            }, Deadline);
            Assert.True(cutOffShown, $"the dashboard did not say that node {viewer.Id} is cut off: {page}");
            await File.WriteAllBytesAsync(Path.Combine(artifacts, "cut-off.png"), await browser.ScreenshotAsync());
        }
        finally
        {
            foreach (var node in others) node.Resume();
        }
        Cluster.Log($"screenshots in {artifacts}");

        leader.Start();
        await Cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        Assert.True(await ProcessCluster.EventuallyAsync(async () =>
            await browser.EvaluateAsync<PageState>(ReadPage) is { Banner: "ok", Answered: 5 }, Deadline), "the dashboard did not recover");
        _fixture.Failed = false;
    }
}
