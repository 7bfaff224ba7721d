using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DistStack.Tests.Support;

namespace DistStack.Tests.Host;

/// <summary>The HTTP API of a real single-node Host process: every row of the endpoint table and every rejection.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StackApiTests(SingleNodeFixture fixture) : IClassFixture<SingleNodeFixture>, IAsyncLifetime
{
    private static readonly string[] StackPaths = ["/sCreate", "/sId", "/sPush", "/sPop", "/sTop", "/sSize", "/sDelete"];

    private ProcessCluster Cluster => fixture.Cluster;

    public Task InitializeAsync() => fixture.WaitForLeaderAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static string NewStackId() => "t-" + Guid.NewGuid().ToString("N")[..12];

    private async Task<HttpAnswer> Post(string path, string body, string? key = null) =>
        await Cluster.PostAsync(fixture.Node, path, body, key) ?? throw new InvalidOperationException($"no answer to POST {path}");

    private async Task<HttpAnswer> Send(HttpMethod method, string path, byte[]? body = null, string? key = null) =>
        await Cluster.SendAsync(fixture.Node, method, path, body, key) ?? throw new InvalidOperationException($"no answer to {method} {path}");

    private static void AssertAnswer(int status, string text, HttpAnswer answer)
    {
        Assert.Equal((status, text), (answer.Status, answer.Text));
        Assert.EndsWith("\n", answer.Body);
    }

    [Fact]
    public async Task The_seed_curl_sequence_works()
    {
        var id = NewStackId();

        AssertAnswer(201, id, await Post("/sCreate", id));
        AssertAnswer(200, id, await Post("/sId", id));
        AssertAnswer(200, "1", await Post("/sPush", $"{id},10"));
        AssertAnswer(200, "10", await Post("/sTop", id));
        AssertAnswer(200, "1", await Post("/sSize", id));
    }

    [Fact]
    public async Task Create_twice_answers_200_and_resets_nothing()
    {
        var id = NewStackId();
        AssertAnswer(201, id, await Post("/sCreate", id));
        AssertAnswer(200, "1", await Post("/sPush", $"{id},x"));

        AssertAnswer(200, id, await Post("/sCreate", id));

        AssertAnswer(200, "1", await Post("/sSize", id));
    }

    [Fact]
    public async Task Push_pop_top_size_follow_stack_order_and_empty_is_409()
    {
        var id = NewStackId();
        await Post("/sCreate", id);
        AssertAnswer(409, $"stack {id} is empty", await Post("/sPop", id));
        AssertAnswer(409, $"stack {id} is empty", await Post("/sTop", id));
        AssertAnswer(200, "0", await Post("/sSize", id));

        AssertAnswer(200, "1", await Post("/sPush", $"{id},a"));
        AssertAnswer(200, "2", await Post("/sPush", $"{id},b"));
        AssertAnswer(200, "b", await Post("/sTop", id));
        AssertAnswer(200, "b", await Post("/sPop", id));
        AssertAnswer(200, "a", await Post("/sPop", id));
        AssertAnswer(409, $"stack {id} is empty", await Post("/sPop", id));
        AssertAnswer(200, "0", await Post("/sSize", id));
    }

    [Fact]
    public async Task Every_endpoint_answers_404_for_a_missing_stack()
    {
        var id = NewStackId();
        foreach (var (path, body) in new[] { ("/sId", id), ("/sPush", $"{id},1"), ("/sPop", id), ("/sTop", id), ("/sSize", id), ("/sDelete", id) })
            AssertAnswer(404, $"no such stack: {id}", await Post(path, body));
        // The push to a missing stack did not create it.
        AssertAnswer(404, $"no such stack: {id}", await Post("/sId", id));
    }

    [Fact]
    public async Task Delete_removes_a_stack()
    {
        var id = NewStackId();
        await Post("/sCreate", id);
        await Post("/sPush", $"{id},v");

        AssertAnswer(200, id, await Post("/sDelete", id));

        AssertAnswer(404, $"no such stack: {id}", await Post("/sId", id));
        AssertAnswer(201, id, await Post("/sCreate", id));
        AssertAnswer(200, "0", await Post("/sSize", id));
    }

    [Fact]
    public async Task Values_keep_their_commas_and_the_body_is_trimmed()
    {
        var id = NewStackId();
        AssertAnswer(201, id, await Post("/sCreate", $"  {id}\r\n"));
        AssertAnswer(200, "1", await Post("/sPush", $"\n {id},a,b, c \n"));

        AssertAnswer(200, "a,b, c", await Post("/sTop", $"\t{id}\n"));
    }

    [Fact]
    public async Task Values_are_byte_exact_utf8_up_to_64_KiB()
    {
        var id = NewStackId();
        await Post("/sCreate", id);
        var value = "ünïcødé ✓ " + new string('x', 64 * 1024 - Encoding.UTF8.GetByteCount("ünïcødé ✓ "));

        AssertAnswer(200, "1", await Post("/sPush", $"{id},{value}"));
        var tooLong = await Post("/sPush", $"{id},{value}x");

        AssertAnswer(200, value, await Post("/sTop", id));
        Assert.Equal(400, tooLong.Status);
        AssertAnswer(200, "1", await Post("/sSize", id));
    }

    [Theory]
    [InlineData("/sCreate", "")]
    [InlineData("/sCreate", "a b")]
    [InlineData("/sCreate", "a,b")]
    [InlineData("/sId", "ü")]
    [InlineData("/sPush", "nocomma")]
    [InlineData("/sPush", "id,")]
    [InlineData("/sPush", ",value")]
    [InlineData("/sPop", "a/b")]
    [InlineData("/sSize", "")]
    public async Task Malformed_bodies_are_400_with_one_line_saying_why(string path, string body)
    {
        var answer = await Post(path, body);

        Assert.Equal(400, answer.Status);
        Assert.NotEmpty(answer.Text);
        Assert.DoesNotContain('\n', answer.Text);
    }

    [Fact]
    public async Task A_stack_id_of_129_characters_is_400_and_creates_nothing()
    {
        var longest = new string('k', 127) + Guid.NewGuid().ToString("N")[..1];
        AssertAnswer(201, longest, await Post("/sCreate", longest));

        var tooLong = longest + "x";
        Assert.Equal(400, (await Post("/sCreate", tooLong)).Status);
        Assert.Equal(400, (await Post("/sId", tooLong)).Status);
    }

    [Fact]
    public async Task Invalid_utf8_is_400_and_changes_nothing()
    {
        var id = NewStackId();
        await Post("/sCreate", id);

        var answer = await Send(HttpMethod.Post, "/sPush", [.. Encoding.ASCII.GetBytes(id + ","), 0xC3, 0x28]);

        AssertAnswer(400, "the body is not valid UTF-8", answer);
        AssertAnswer(200, "0", await Post("/sSize", id));
    }

    [Fact]
    public async Task Bodies_over_1_MiB_are_413()
    {
        var answer = await Send(HttpMethod.Post, "/sPush", Encoding.ASCII.GetBytes("s," + new string('x', 1024 * 1024)));
        Assert.Equal(413, answer.Status);

        // Exactly 1 MiB is read (and then rejected for what it says, not for its size).
        var atLimit = await Send(HttpMethod.Post, "/sCreate", Encoding.ASCII.GetBytes(new string('x', 1024 * 1024)));
        Assert.Equal(400, atLimit.Status);
    }

    [Fact]
    public async Task Other_methods_on_stack_paths_are_405_with_Allow_POST()
    {
        foreach (var path in StackPaths)
        {
            foreach (var method in new[] { HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete })
            {
                var answer = await Send(method, path);
                Assert.Equal(405, answer.Status);
                Assert.Equal("POST", answer.Header("Allow"));
                Assert.Contains("use POST", answer.Text);
            }
        }
    }

    [Fact]
    public async Task Unknown_paths_are_404()
    {
        AssertAnswer(404, "no such endpoint: POST /sPeek", await Post("/sPeek", "1"));
        Assert.Equal(404, (await Send(HttpMethod.Get, "/no-such-page")).Status);
    }

    [Fact]
    public async Task The_root_serves_the_dashboard_and_the_overview_it_polls()
    {
        var page = await Send(HttpMethod.Get, "/");
        Assert.Equal(200, page.Status);
        Assert.StartsWith("text/html", page.Header("Content-Type"));
        Assert.Contains("/cluster/overview", page.Body);
        Assert.Equal(page.Body, (await Send(HttpMethod.Get, "/dashboard")).Body);

        var overview = await Send(HttpMethod.Get, "/cluster/overview");
        Assert.Equal(200, overview.Status);
        using var json = System.Text.Json.JsonDocument.Parse(overview.Body);
        var member = Assert.Single(json.RootElement.GetProperty("members").EnumerateArray());
        Assert.True(member.GetProperty("answered").GetBoolean());
        Assert.Equal("leader", member.GetProperty("status").GetProperty("role").GetString());
        Assert.Contains(json.RootElement.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "LeaderKnown");
        Assert.Equal(405, (await Post("/cluster/overview", "")).Status);
    }

    [Fact]
    public async Task The_same_Idempotency_Key_twice_pushes_once_and_answers_the_same()
    {
        var id = NewStackId();
        await Post("/sCreate", id);
        var key = Guid.NewGuid().ToString();

        var first = await Post("/sPush", $"{id},v", key);
        var retry = await Post("/sPush", $"{id},v", key);

        AssertAnswer(200, "1", first);
        AssertAnswer(200, "1", retry);
        AssertAnswer(200, "1", await Post("/sSize", id));
    }

    [Fact]
    public async Task A_retried_pop_returns_the_same_value_and_pops_once()
    {
        var id = NewStackId();
        await Post("/sCreate", id);
        await Post("/sPush", $"{id},bottom");
        await Post("/sPush", $"{id},top");
        var key = Guid.NewGuid().ToString();

        AssertAnswer(200, "top", await Post("/sPop", id, key));
        AssertAnswer(200, "top", await Post("/sPop", id, key));

        AssertAnswer(200, "1", await Post("/sSize", id));
        AssertAnswer(200, "bottom", await Post("/sTop", id));
    }

    [Fact]
    public async Task An_Idempotency_Key_reused_for_a_different_request_is_422_and_applies_nothing()
    {
        var id = NewStackId();
        var other = NewStackId();
        var key = Guid.NewGuid().ToString();
        await Post("/sCreate", id);
        AssertAnswer(200, "1", await Post("/sPush", $"{id},v", key));

        var asCreate = await Post("/sCreate", other, key);
        var asOtherPush = await Post("/sPush", $"{id},w", key);

        Assert.Equal(422, asCreate.Status);
        Assert.Contains("Idempotency-Key was already used for a different request", asCreate.Text);
        Assert.Equal(422, asOtherPush.Status);
        AssertAnswer(404, $"no such stack: {other}", await Post("/sSize", other));
        AssertAnswer(200, "1", await Post("/sSize", id));
    }

    [Fact]
    public async Task Without_a_key_every_request_is_its_own_command()
    {
        var id = NewStackId();
        await Post("/sCreate", id);

        AssertAnswer(200, "1", await Post("/sPush", $"{id},same"));
        AssertAnswer(200, "2", await Post("/sPush", $"{id},same"));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("tab\there")]
    public async Task An_invalid_Idempotency_Key_is_400_and_changes_nothing(string key)
    {
        var id = NewStackId();
        await Post("/sCreate", id);

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Node.HttpUrl, "/sPush"))
        {
            Content = new StringContent($"{id},v"),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        using var response = await Cluster.Http.SendAsync(request);

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("Idempotency-Key", await response.Content.ReadAsStringAsync());
        AssertAnswer(200, "0", await Post("/sSize", id));
    }

    [Fact]
    public async Task An_Idempotency_Key_of_129_characters_is_400()
    {
        var answer = await Post("/sCreate", NewStackId(), new string('k', 129));
        Assert.Equal(400, answer.Status);
    }

    [Fact]
    public async Task Cluster_status_is_camelCase_json_with_every_field()
    {
        var answer = await Send(HttpMethod.Get, "/cluster/status");
        Assert.Equal(200, answer.Status);

        using var json = JsonDocument.Parse(answer.Body);
        var root = json.RootElement;
        foreach (var field in new[] { "nodeId", "clusterId", "role", "term", "leaderId", "commitIndex", "appliedIndex",
                     "lastLogIndex", "snapshotIndex", "stateDigest", "members" })
            Assert.True(root.TryGetProperty(field, out _), $"missing {field} in {answer.Body}");
        Assert.Equal(1, root.GetProperty("nodeId").GetInt32());
        Assert.Equal("leader", root.GetProperty("role").GetString());
        Assert.Equal(1, root.GetProperty("leaderId").GetInt32());
        Assert.True(root.GetProperty("term").GetInt64() >= 1);
        Assert.True(root.GetProperty("appliedIndex").GetInt64() <= root.GetProperty("commitIndex").GetInt64());
        var member = Assert.Single(root.GetProperty("members").EnumerateArray());
        Assert.Equal(1, member.GetProperty("id").GetInt32());
        Assert.Contains($"{fixture.Node.RaftPort}", member.GetProperty("address").GetString());
        Assert.True(member.TryGetProperty("reachable", out _));
        Assert.True(member.TryGetProperty("matchIndex", out _));
    }

    [Fact]
    public async Task Health_is_200_and_ready_is_200_once_a_leader_is_known()
    {
        AssertAnswer(200, "ok", await Send(HttpMethod.Get, "/health"));
        var ready = await Send(HttpMethod.Get, "/health/ready");
        Assert.Equal(200, ready.Status);
        Assert.StartsWith("ready", ready.Text);
        Assert.Equal(405, (await Send(HttpMethod.Post, "/health")).Status);
    }
    [Fact]
    public async Task Probe_exits_0_on_200_and_1_otherwise()
    {
        Assert.Equal(0, await Probe(new Uri(fixture.Node.HttpUrl, "/health/ready")));
        Assert.Equal(1, await Probe(new Uri(fixture.Node.HttpUrl, "/no-such-endpoint")));
    }

    /// <summary>Runs <c>DistStack.Host --probe URL</c>, what Docker's HEALTHCHECK runs, and returns its exit code.</summary>
    private static async Task<int> Probe(Uri url)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(NodeProcessBuildOutput.HostDll);
        start.ArgumentList.Add("--probe");
        start.ArgumentList.Add(url.ToString());
        using var process = Process.Start(start)!;
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}
