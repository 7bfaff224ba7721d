using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DistStack.Tests.Support;

/// <summary>
/// A real headless Chromium (Debian's <c>chromium</c>), driven over the DevTools protocol: navigate, evaluate a
/// script in the page, take a screenshot. One page per instance; the browser runs in its own temporary profile
/// and is killed (by its pid) on dispose. <c>--no-sandbox</c> because CI runs as root, where Chromium's sandbox
/// refuses to start.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    /// <summary>Where the browser is: DISTSTACK_CHROMIUM, else chromium or chromium-browser on PATH; null if none.</summary>
    public static string? Find()
    {
        var configured = Environment.GetEnvironmentVariable("DISTSTACK_CHROMIUM");
        if (!string.IsNullOrEmpty(configured)) return File.Exists(configured) ? configured : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var name in new[] { "chromium", "chromium-browser" })
                if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        return null;
    }

    public const string NotFoundReason =
        "headless Chromium not found (DISTSTACK_CHROMIUM, or chromium on PATH): install it (Debian: apt-get install chromium; .ci/run does)";

    /// <summary>CI (CI=true) must run the browser tests: without a browser they fail instead of being skipped.</summary>
    public static bool Required => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public static async Task<HeadlessChromium> StartAsync(int width = 1280, int height = 1000, TimeSpan? timeout = null)
    {
        var executable = Find() ?? throw new InvalidOperationException(NotFoundReason);
        var profile = Path.Combine(Path.GetTempPath(), "diststack-chromium-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(profile);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--hide-scrollbars", "--mute-audio", $"--window-size={width},{height}",
                     "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", $"--user-data-dir={profile}", "about:blank",
                 })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var browser = new HeadlessChromium(process, profile);
        try
        {
            await browser.ConnectAsync(timeout ?? TimeSpan.FromSeconds(60), stderr);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    private async Task ConnectAsync(TimeSpan timeout, StringBuilder stderr)
    {
        // Chromium writes the port it picked into DevToolsActivePort in its profile once it listens.
        var portFile = Path.Combine(_profile, "DevToolsActivePort");
        var clock = Stopwatch.StartNew();
        int? port = null;
        while (port is null)
        {
            if (_process.HasExited) throw new InvalidOperationException($"chromium exited with {_process.ExitCode}: {stderr}");
            if (clock.Elapsed > timeout) throw new TimeoutException($"chromium did not open its DevTools port within {timeout}: {stderr}");
            if (File.Exists(portFile) && File.ReadAllLines(portFile) is [var first, ..] && int.TryParse(first, out var p)) port = p;
            else await Task.Delay(100);
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string? pageSocket = null;
        while (pageSocket is null)
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"chromium opened no page within {timeout}: {stderr}");
            var targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"))!.AsArray();
            pageSocket = targets.FirstOrDefault(t => (string?)t!["type"] == "page")?["webSocketDebuggerUrl"]?.GetValue<string>();
            if (pageSocket is null) await Task.Delay(100);
        }
        await _socket.ConnectAsync(new Uri(pageSocket), CancellationToken.None);
        await SendAsync("Page.enable");
    }

    public int? Pid => _process.HasExited ? null : _process.Id;

    /// <summary>Loads <paramref name="url"/> and waits until the document finished loading.</summary>
    public async Task NavigateAsync(Uri url, TimeSpan timeout)
    {
        await SendAsync("Page.navigate", new JsonObject { ["url"] = url.ToString() });
        var clock = Stopwatch.StartNew();
        while (await EvaluateAsync<string>("document.readyState") != "complete")
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"{url} did not finish loading within {timeout}");
            await Task.Delay(100);
        }
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its JSON value.</summary>
    public async Task<T?> EvaluateAsync<T>(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
        if (result["exceptionDetails"] is { } error) throw new InvalidOperationException($"script failed: {error.ToJsonString()}");
        var value = result["result"]?["value"];
        return value is null ? default : value.Deserialize<T>();
    }

    /// <summary>A PNG of the page's viewport.</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
        return Convert.FromBase64String(result["data"]!.GetValue<string>());
    }

    private async Task<JsonNode> SendAsync(string method, JsonObject? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, timeout.Token);
        var buffer = new byte[1 << 16];
        while (true)
        {
            using var received = new MemoryStream();
            WebSocketReceiveResult part;
            do
            {
                part = await _socket.ReceiveAsync(buffer, timeout.Token);
                if (part.MessageType == WebSocketMessageType.Close) throw new InvalidOperationException("chromium closed the DevTools connection");
                received.Write(buffer, 0, part.Count);
            } while (!part.EndOfMessage);
            var reply = JsonNode.Parse(received.ToArray())!;
            if (reply["id"]?.GetValue<int>() != id) continue; // an event, or an answer to something else
            if (reply["error"] is { } error) throw new InvalidOperationException($"{method} failed: {error.ToJsonString()}");
            return reply["result"]!;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is WebSocketException or TimeoutException or OperationCanceledException)
        {
            // the browser is killed below either way
        }
        _socket.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true); // by its pid: the browser and its own helper processes
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
