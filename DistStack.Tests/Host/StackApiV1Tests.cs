using System.Text;
using System.Text.Json;
using DistStack.Tests.Support;

namespace DistStack.Tests.Host;

/// <summary>
/// The /v1 JSON API of a real single-node Host process: every endpoint, the batch rules, bad input answered 400 with
/// problem details and nothing changed, paging while stacks come and go, and the OpenAPI document against the endpoints.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class StackApiV1Tests(SingleNodeFixture fixture) : IClassFixture<SingleNodeFixture>, IAsyncLifetime
{
    private ProcessCluster Cluster => fixture.Cluster;

    public Task InitializeAsync() => fixture.WaitForLeaderAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static string NewStackId() => "v1-" + Guid.NewGuid().ToString("N")[..12];

    private async Task<HttpAnswer> Send(HttpMethod method, string path, string? json = null, string? key = null) =>
        await Send(method, path, json is null ? null : Encoding.UTF8.GetBytes(json), key);

    private async Task<HttpAnswer> Send(HttpMethod method, string path, byte[]? body, string? key = null) =>
        await Cluster.SendAsync(fixture.Node, method, path, body, key) ?? throw new InvalidOperationException($"no answer to {method} {path}");

    private static JsonElement Json(HttpAnswer answer, int status)
    {
        Assert.True(answer.Status == status, $"expected {status}, got {answer}");
        return JsonDocument.Parse(answer.Body).RootElement;
    }

    private static void AssertProblem(HttpAnswer answer, int status)
    {
        Assert.True(answer.Status == status, $"expected {status}, got {answer}");
        Assert.StartsWith("application/problem+json", answer.Header("Content-Type"));
        var problem = JsonDocument.Parse(answer.Body).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
    }

    private async Task<(long Size, string? Top)> Describe(string id)
    {
        var body = Json(await Send(HttpMethod.Get, $"/v1/stacks/{id}"), 200);
        var top = body.GetProperty("top");
        return (body.GetProperty("size").GetInt64(), top.ValueKind == JsonValueKind.Null ? null : top.GetString());
    }

    [Fact]
    public async Task A_stack_lives_through_every_endpoint()
    {
        var id = NewStackId();
        Assert.True(Json(await Send(HttpMethod.Put, $"/v1/stacks/{id}"), 201).GetProperty("created").GetBoolean());
        Assert.False(Json(await Send(HttpMethod.Put, $"/v1/stacks/{id}"), 200).GetProperty("created").GetBoolean());
        Assert.Equal((0L, null), await Describe(id));

        var pushed = Json(await Send(HttpMethod.Post, $"/v1/stacks/{id}/items", """["a","b,c","ü 🚀"]"""), 200);
        Assert.Equal((3, 3L), (pushed.GetProperty("pushed").GetInt32(), pushed.GetProperty("size").GetInt64()));
        Assert.Equal((3L, "ü 🚀"), await Describe(id));

        var popped = Json(await Send(HttpMethod.Post, $"/v1/stacks/{id}/pop?count=2"), 200);
        Assert.Equal(["ü 🚀", "b,c"], popped.GetProperty("values").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(1, popped.GetProperty("size").GetInt64());

        // Fewer than asked: pops what is there and says so (values shorter than requested).
        popped = Json(await Send(HttpMethod.Post, $"/v1/stacks/{id}/pop?count=1000"), 200);
        Assert.Equal(["a"], popped.GetProperty("values").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(1000, popped.GetProperty("requested").GetInt32());

        AssertProblem(await Send(HttpMethod.Post, $"/v1/stacks/{id}/pop"), 409);
        Assert.Equal(id, Json(await Send(HttpMethod.Delete, $"/v1/stacks/{id}"), 200).GetProperty("id").GetString());
        AssertProblem(await Send(HttpMethod.Get, $"/v1/stacks/{id}"), 404);
        AssertProblem(await Send(HttpMethod.Post, $"/v1/stacks/{id}/items", """["a"]"""), 404);
        AssertProblem(await Send(HttpMethod.Delete, $"/v1/stacks/{id}"), 404);
    }

    public static TheoryData<string, string> BadPushBodies() => new()
    {
        { "malformed JSON", """["a", """ },
        { "not an array", """{"values":["a"]}""" },
        { "a number", """["a", 1]""" },
        { "a null", """["a", null]""" },
        { "a nested array", """["a", ["b"]]""" },
        { "an empty array", "[]" },
        { "an empty value", """["a", ""]""" },
        { "a value over 64 KiB", $"[\"{new string('v', 64 * 1024 + 1)}\"]" },
        { "too many values", "[" + string.Join(",", Enumerable.Repeat("\"v\"", 10_001)) + "]" },
        { "a lone surrogate escape", """["\ud800"]""" },
        { "trailing content", """["a"] ["b"]""" },
        { "a comment", """["a" /* no */]""" },
    };

    [Theory]
    [MemberData(nameof(BadPushBodies))]
    public async Task A_bad_push_body_is_a_400_problem_and_changes_nothing(string what, string body)
    {
        var id = NewStackId();
        await Send(HttpMethod.Put, $"/v1/stacks/{id}");
        await Send(HttpMethod.Post, $"/v1/stacks/{id}/items", """["before"]""");

        AssertProblem(await Send(HttpMethod.Post, $"/v1/stacks/{id}/items", body), 400);

        Assert.True((1L, "before") == await Describe(id), what);
    }

    [Fact]
    public async Task Invalid_utf8_in_a_push_is_a_400_problem_and_changes_nothing()
    {
        var id = NewStackId();
        await Send(HttpMethod.Put, $"/v1/stacks/{id}");
        AssertProblem(await Send(HttpMethod.Post, $"/v1/stacks/{id}/items", [(byte)'[', (byte)'"', 0xff, 0xfe, (byte)'"', (byte)']']), 400);
        Assert.Equal((0L, null), await Describe(id));
    }

    [Fact]
    public async Task A_body_over_1_MiB_is_a_413_problem()
    {
        var id = NewStackId();
        await Send(HttpMethod.Put, $"/v1/stacks/{id}");
        AssertProblem(await Send(HttpMethod.Post, $"/v1/stacks/{id}/items", new byte[1024 * 1024 + 1]), 413);
        Assert.Equal((0L, null), await Describe(id));
    }

    [Theory]
    [InlineData("PUT", "/v1/stacks/bad%20id")]
    [InlineData("PUT", "/v1/stacks/bad!id")]
    [InlineData("GET", "/v1/stacks/%C3%A9")]
    [InlineData("DELETE", "/v1/stacks/a%2Fb")]
    [InlineData("POST", "/v1/stacks/bad:id/pop")]
    [InlineData("GET", "/v1/stacks?after=bad%20cursor")]
    [InlineData("GET", "/v1/stacks?limit=0")]
    [InlineData("GET", "/v1/stacks?limit=1001")]
    [InlineData("GET", "/v1/stacks?limit=ten")]
    public async Task Ids_and_parameters_out_of_their_pattern_are_400_problems(string method, string path) =>
        AssertProblem(await Send(new HttpMethod(method), path), 400);

    [Fact]
    public async Task An_id_over_128_characters_is_a_400_problem_and_creates_nothing()
    {
        var id = new string('x', 129);
        AssertProblem(await Send(HttpMethod.Put, $"/v1/stacks/{id}"), 400);
        AssertProblem(await Send(HttpMethod.Get, $"/v1/stacks/{id}"), 400);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("-1")]
    [InlineData("many")]
    public async Task A_pop_count_outside_1_to_1000_is_a_400_problem_and_pops_nothing(string count)
    {
        var id = NewStackId();
        await Send(HttpMethod.Put, $"/v1/stacks/{id}");
        await Send(HttpMethod.Post, $"/v1/stacks/{id}/items", """["a","b"]""");
        AssertProblem(await Send(HttpMethod.Post, $"/v1/stacks/{id}/pop?count={count}"), 400);
        Assert.Equal((2L, "b"), await Describe(id));
    }

    [Fact]
    public async Task A_retried_push_and_pop_apply_once_and_a_reused_key_is_a_422_problem()
    {
        var id = NewStackId();
        await Send(HttpMethod.Put, $"/v1/stacks/{id}");
        var push = Json(await Send(HttpMethod.Post, $"/v1/stacks/{id}/items", """["a","b","c"]""", key: id + "-push"), 200);
        var again = Json(await Send(HttpMethod.Post, $"/v1/stacks/{id}/items", """["a","b","c"]""", key: id + "-push"), 200);
        Assert.Equal(push.ToString(), again.ToString());
        Assert.Equal((3L, "c"), await Describe(id));

        var pop = Json(await Send(HttpMethod.Post, $"/v1/stacks/{id}/pop?count=2", key: id + "-pop"), 200).ToString();
        Assert.Equal(pop, Json(await Send(HttpMethod.Post, $"/v1/stacks/{id}/pop?count=2", key: id + "-pop"), 200).ToString());
        Assert.Equal((1L, "a"), await Describe(id));

        AssertProblem(await Send(HttpMethod.Post, $"/v1/stacks/{id}/items", """["other"]""", key: id + "-push"), 422);
        AssertProblem(await Send(HttpMethod.Post, $"/v1/stacks/{id}/items", """["a"]""", key: "bad key"), 400);
        Assert.Equal((1L, "a"), await Describe(id));
    }

    [Fact]
    public async Task Paging_lists_every_stack_that_exists_throughout_exactly_once_while_others_come_and_go()
    {
        var prefix = "page-" + Guid.NewGuid().ToString("N")[..6];
        var kept = Enumerable.Range(0, 40).Select(i => $"{prefix}-k{i:D2}").ToList();
        foreach (var id in kept) await Send(HttpMethod.Put, $"/v1/stacks/{id}");

        using var stop = new CancellationTokenSource();
        var churned = 0;
        var churn = Task.Run(async () =>
        {
            // Ids that sort between and around the kept ones, created and deleted while the listing pages.
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var id = $"{prefix}-k{i % 40:D2}-churn";
                await Send(HttpMethod.Put, $"/v1/stacks/{id}");
                await Send(HttpMethod.Delete, $"/v1/stacks/{id}");
                churned++;
            }
        });

        var seen = new List<string>();
        var after = prefix;
        var pages = 0;
        while (true)
        {
            var page = Json(await Send(HttpMethod.Get, $"/v1/stacks?after={after}&limit=7"), 200);
            seen.AddRange(page.GetProperty("stacks").EnumerateArray().Select(v => v.GetString()!).Where(s => s.StartsWith(prefix)));
            pages++;
            if (page.GetProperty("next").ValueKind == JsonValueKind.Null) break;
            after = page.GetProperty("next").GetString()!;
            if (!after.StartsWith(prefix)) break;
        }
        await stop.CancelAsync();
        await churn;

        Assert.True(pages >= 6, $"only {pages} pages");
        Assert.True(churned > 0, "the churn never ran during the listing");
        Assert.Equal(seen.OrderBy(s => s, StringComparer.Ordinal), seen); // in id order, no repeats out of order
        Assert.Equal(kept, seen.Where(s => !s.EndsWith("-churn")));       // every kept stack exactly once
    }

    /// <summary>The operations the Host maps under /v1 (StackApiV1); the document must list exactly these, and each must answer.</summary>
    private static readonly (string Path, string Method)[] V1Operations =
    [
        ("/v1/stacks", "get"), ("/v1/stacks/{id}", "put"), ("/v1/stacks/{id}", "get"), ("/v1/stacks/{id}", "delete"),
        ("/v1/stacks/{id}/items", "post"), ("/v1/stacks/{id}/pop", "post"),
    ];

    [Fact]
    public async Task The_OpenAPI_document_lists_exactly_the_v1_endpoints_and_each_answers()
    {
        var document = Json(await Send(HttpMethod.Get, "/openapi/v1.json"), 200);
        var listed = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (path.Name, op.Name)))
            .OrderBy(o => o).ToList();
        Assert.Equal(V1Operations.OrderBy(o => o), listed);
        Assert.Equal("array", document.GetProperty("paths").GetProperty("/v1/stacks/{id}/items").GetProperty("post")
            .GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("type").GetString());

        // Each documented operation is served (a problem or a JSON answer, never the fallback's "no such endpoint").
        var id = NewStackId();
        foreach (var (path, method) in V1Operations)
        {
            var answer = await Send(new HttpMethod(method.ToUpperInvariant()), path.Replace("{id}", id), method == "post" ? "[\"x\"]" : null);
            Assert.DoesNotContain("no such endpoint", answer.Body);
            Assert.StartsWith("application/", answer.Header("Content-Type"));
        }
    }
}
