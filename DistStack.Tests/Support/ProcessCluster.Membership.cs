using System.Text.Json;

namespace DistStack.Tests.Support;

/// <summary>One member as GET /cluster/members lists it.</summary>
public sealed record ClusterMember(int Id, string Role);

/// <summary>Reading membership and stored data back from real nodes, for the membership process tests.</summary>
public sealed partial class ProcessCluster
{
    /// <summary>GET /cluster/members on <paramref name="node"/>; asserts a 200.</summary>
    public async Task<List<ClusterMember>> MembersAsync(NodeProcess node)
    {
        var answer = await SendAsync(node, HttpMethod.Get, "/cluster/members");
        Assert.True(answer?.Status == 200, $"GET /cluster/members on node {node.Id}: {answer}");
        using var document = JsonDocument.Parse(answer!.Body);
        return [.. document.RootElement.GetProperty("members").EnumerateArray()
            .Select(m => new ClusterMember(m.GetProperty("id").GetInt32(), m.GetProperty("role").GetString()!))];
    }

    /// <summary>The role the leader gives <paramref name="id"/> in GET /cluster/members (asked of any serving node), or null.</summary>
    public async Task<string?> RoleOfAsync(int id, TimeSpan attemptTimeout)
    {
        foreach (var node in Serving)
        {
            var answer = await SendAsync(node, HttpMethod.Get, "/cluster/members", timeout: attemptTimeout);
            if (answer?.Status != 200) continue;
            using var document = JsonDocument.Parse(answer.Body);
            if (!document.RootElement.GetProperty("answeredByLeader").GetBoolean()) continue;
            return document.RootElement.GetProperty("members").EnumerateArray()
                .Where(m => m.GetProperty("id").GetInt32() == id).Select(m => m.GetProperty("role").GetString()).FirstOrDefault();
        }
        return null;
    }

    /// <summary>Every stack id <paramref name="node"/> holds (GET /v1/stacks, page by page), each page retried until 200.</summary>
    public async Task<HashSet<string>> StackIdsAsync(NodeProcess node, TimeSpan attemptTimeout, TimeSpan deadline)
    {
        var ids = new HashSet<string>();
        string? after = null;
        while (true)
        {
            HttpAnswer? page = null;
            var path = "/v1/stacks?limit=1000" + (after is null ? "" : $"&after={after}");
            Assert.True(await EventuallyAsync(async () =>
                (page = await SendAsync(node, HttpMethod.Get, path, timeout: attemptTimeout)) is { Status: 200 }, deadline),
                $"node {node.Id} did not list stacks: {page}");
            using var document = JsonDocument.Parse(page!.Body);
            foreach (var id in document.RootElement.GetProperty("stacks").EnumerateArray()) ids.Add(id.GetString()!);
            if (document.RootElement.GetProperty("next").ValueKind == JsonValueKind.Null) return ids;
            after = document.RootElement.GetProperty("next").GetString();
        }
    }
}
