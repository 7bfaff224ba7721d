using System.Net.Sockets;
using System.Text;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Security;

/// <summary>
/// Seeded HTTP requests that are invalid by construction (methods, paths, headers, bodies with invalid UTF-8 or NULs,
/// oversized and empty values, malformed ids, truncated and slow bodies, raw garbage) against a real three-process
/// cluster. Every answer must be a 4xx (or a 503/504 with its meaning), every answer from the API must say what is
/// wrong, no node may crash or restart, and the state digest must be unchanged afterwards. The seed is printed;
/// DISTSTACK_FUZZ_SEED=&lt;seed&gt; replays it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class HttpFuzzTests(ITestOutputHelper output)
{
    private const int Requests = 400;
    private const int RawRequests = 24;
    private static readonly string[] StackPaths = ["/sCreate", "/sId", "/sPush", "/sPop", "/sTop", "/sSize", "/sDelete"];
    private static readonly string[] OtherMethods = ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FUZZ"];

    [Fact]
    public async Task Invalid_requests_get_a_clear_4xx_and_change_nothing()
    {
        var seed = FuzzSeed.Pick();
        output.WriteLine($"HTTP fuzz seed {seed} (replay: DISTSTACK_FUZZ_SEED={seed})");
        var random = new Random(seed);

        await using var cluster = ProcessCluster.Start(3, new ProcessClusterOptions { Log = output.WriteLine });
        try
        {
            var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(201, (await cluster.PostAsync(leader, "/sCreate", "kept"))?.Status);
            Assert.Equal(200, (await cluster.PostAsync(leader, "/sPush", "kept,value"))?.Status);
            var before = await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(30));
            var digest = before.Values.First().StateDigest;
            var pids = cluster.Nodes.ToDictionary(n => n.Id, n => n.Pid);

            var statuses = new Dictionary<int, int>();
            var kestrelRefusals = 0;
            for (var i = 0; i < Requests; i++)
            {
                var node = cluster.Nodes[random.Next(cluster.Nodes.Count)];
                var (method, path, body, key, description) = InvalidRequest(random);
                var answer = await cluster.SendAsync(node, method, path, body, key);
                Assert.True(answer is not null, $"request {i} ({description}) to node {node.Id}: no answer\n{cluster.DescribeLogs()}");
                statuses[answer.Status] = statuses.GetValueOrDefault(answer.Status) + 1;
                Assert.True(answer.Status is >= 400 and < 500 or 503 or 504, $"request {i} ({description}): {answer}");
                if (string.IsNullOrWhiteSpace(answer.Text))
                {
                    // Kestrel refuses some requests itself before any of our code runs (e.g. a NUL, %00, in the path):
                    // a bare 400 with no Content-Type. Every answer of the application has a text body.
                    Assert.True(answer.Status is 400 or 431 && answer.Header("Content-Type") is null,
                        $"request {i} ({description}): {answer.Status} without a body");
                    kestrelRefusals++;
                }
                if (answer.Status == 503) Assert.NotNull(answer.Header("Retry-After"));
            }
            output.WriteLine("answers: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")) +
                             $"; {kestrelRefusals} refused by Kestrel itself (bare 400/431)");

            for (var i = 0; i < RawRequests; i++)
            {
                var node = cluster.Nodes[random.Next(cluster.Nodes.Count)];
                var (bytes, description, slow) = RawInvalidRequest(random);
                var status = await SendRaw(node.HttpPort, bytes, slow);
                output.WriteLine($"raw {i} ({description}) to node {node.Id}: {(status is null ? "connection closed" : status.ToString())}");
                Assert.True(status is null or >= 400 and < 500, $"raw request {i} ({description}): {status}");
            }

            Assert.All(cluster.Nodes, n => Assert.Equal(pids[n.Id], n.Pid));
            Assert.All(cluster.Nodes, n => Assert.Equal(1, n.Starts));
            var after = await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(30));
            Assert.All(after.Values, s => Assert.Equal(digest, s.StateDigest));
            Assert.Equal("1", (await cluster.PostAsync(leader, "/sSize", "kept"))?.Text);
        }
        catch
        {
            cluster.KeepData = true;
            throw;
        }
    }

    private static (HttpMethod, string, byte[]?, string?, string) InvalidRequest(Random random)
    {
        var path = StackPaths[random.Next(StackPaths.Length)];
        switch (random.Next(10))
        {
            case 0:
            {
                var unknown = "/x" + RandomText(random, 0, 40, "abcXYZ019-_./%~");
                return (random.Next(2) == 0 ? HttpMethod.Post : HttpMethod.Get, unknown, Encoding.UTF8.GetBytes("1"), null, $"unknown path {unknown}");
            }
            case 1:
            {
                var method = new HttpMethod(OtherMethods[random.Next(OtherMethods.Length)]);
                return (method, path, method == HttpMethod.Get ? null : Encoding.UTF8.GetBytes("1"), null, $"{method} {path}");
            }
            case 2:
                return (HttpMethod.Post, path, [], null, $"empty body to {path}");
            case 3:
            {
                // Invalid UTF-8: a lone continuation byte or a truncated sequence inside an otherwise fine id.
                byte[] bad = [(byte)'a', random.Next(2) == 0 ? (byte)0x80 : (byte)0xC3, (byte)'b'];
                return (HttpMethod.Post, path, bad, null, $"invalid UTF-8 to {path}");
            }
            case 4:
                return (HttpMethod.Post, path, Encoding.UTF8.GetBytes("a\0b" + (path == "/sPush" ? ",v" : "")), null, $"NUL in the id to {path}");
            case 5:
            {
                var id = random.Next(2) == 0 ? new string('a', 129 + random.Next(0, 200)) : RandomText(random, 1, 20, "!\"#$%&'()*+/:;<=>?@[\\]^`{|}~ é");
                if (id.Trim().Length == 0 || id.Trim().All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) id = "bad id";
                return (HttpMethod.Post, path, Encoding.UTF8.GetBytes(path == "/sPush" ? id + ",v" : id), null, $"malformed id to {path}");
            }
            case 6:
            {
                var body = random.Next(3) switch
                {
                    0 => "kept",                          // no comma
                    1 => "kept,",                         // empty value
                    _ => "kept," + new string('v', 64 * 1024 + 1 + random.Next(0, 1000)), // value over 64 KiB
                };
                return (HttpMethod.Post, "/sPush", Encoding.UTF8.GetBytes(body), null, $"malformed push ({body.Length} bytes)");
            }
            case 7:
            {
                var big = new byte[1024 * 1024 + 1 + random.Next(0, 4096)];
                big.AsSpan().Fill((byte)'a');
                return (HttpMethod.Post, path, big, null, $"{big.Length}-byte body to {path}");
            }
            case 8:
            {
                var key = random.Next(2) == 0 ? new string('k', 129 + random.Next(0, 100)) : "key\twith tab";
                // A write to a stack that exists and would apply, if the key were accepted.
                return (HttpMethod.Post, "/sPush", Encoding.UTF8.GetBytes("kept,rogue"), key, $"bad Idempotency-Key ({key.Length} chars)");
            }
            default:
            {
                var body = RandomText(random, 1, 30, ", \t\r\n;=&") ;
                return (HttpMethod.Post, path, Encoding.UTF8.GetBytes(body), null, $"separators only to {path}");
            }
        }
    }

    private static (byte[] Bytes, string Description, bool Slow) RawInvalidRequest(Random random)
    {
        switch (random.Next(4))
        {
            case 0:
            {
                var garbage = new byte[random.Next(1, 512)];
                random.NextBytes(garbage);
                return ([.. garbage, .. "\r\n\r\n"u8.ToArray()], "garbage request line", false);
            }
            case 1:
                // Announces 100 bytes, sends 3, closes: the body never completes.
                return (Encoding.ASCII.GetBytes("POST /sPush HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nkep"), "truncated body", false);
            case 2:
                return (Encoding.ASCII.GetBytes($"POST /sCreate HTTP/1.1\r\nHost: x\r\nX-Big: {new string('h', 64 * 1024)}\r\nContent-Length: 1\r\n\r\n1"), "oversized header", false);
            default:
                // A valid request line with an invalid body, sent a few bytes at a time.
                return (Encoding.ASCII.GetBytes("POST /sPush HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4\r\nConnection: close\r\n\r\nkept"), "slow body, no comma", true);
        }
    }

    /// <summary>Writes the bytes (slowly: a few at a time with short pauses, like a slow client), closes the sending side, returns the status line's code if any.</summary>
    private static async Task<int?> SendRaw(int port, byte[] bytes, bool slow)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        try
        {
            if (slow)
                for (var offset = 0; offset < bytes.Length; offset += 16)
                {
                    await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(16, bytes.Length - offset)));
                    await Task.Delay(20); // the slowness is the input itself, not a wait for a condition
                }
            else
                await stream.WriteAsync(bytes);
            client.Client.Shutdown(SocketShutdown.Send);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15));
            return statusLine is not null && statusLine.Split(' ') is [_, var code, ..] && int.TryParse(code, out var status) ? status : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string RandomText(Random random, int min, int max, string alphabet)
    {
        var length = random.Next(min, max + 1);
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = alphabet[random.Next(alphabet.Length)];
        return new string(chars);
    }
}
