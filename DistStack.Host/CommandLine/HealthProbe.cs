namespace DistStack.Host.CommandLine;

/// <summary><c>--probe URL</c>: one GET, exit 0 on 200, else 1. For Docker's HEALTHCHECK; the aspnet image has no curl.</summary>
public static class HealthProbe
{
    public static async Task<int> RunAsync(Uri url, TextWriter output)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            await output.WriteLineAsync($"{(int)response.StatusCode} {body.Trim()}");
            return response.StatusCode == System.Net.HttpStatusCode.OK ? ExitCodes.Ok : ExitCodes.ProbeFailed;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await output.WriteLineAsync($"probe of {url} failed: {e.Message}");
            return ExitCodes.ProbeFailed;
        }
    }
}
