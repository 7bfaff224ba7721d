using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using DistStack.Actors.Security;

namespace DistStack.Host.CommandLine;

/// <summary>
/// <c>--probe URL</c>: one GET, exit 0 on 200, else 1. For Docker's HEALTHCHECK; the aspnet image has no curl. An https://
/// URL is checked like curl --cacert does: the certificate must chain to the given CA (or, without one, to the
/// system's roots) and name the URL's host.
/// </summary>
public static class HealthProbe
{
    public static async Task<int> RunAsync(Uri url, TextWriter output, string? caPath = null)
    {
        using var handler = new HttpClientHandler();
        if (caPath is not null)
        {
            X509Certificate2Collection authorities;
            try
            {
                authorities = CertificateFiles.LoadAuthorities(caPath);
            }
            catch (CertificateFileException e)
            {
                await output.WriteLineAsync($"probe of {url} failed: {e.Message}");
                return ExitCodes.ProbeFailed;
            }
            handler.ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
                certificate is not null &&
                (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) == 0 &&
                CertificateFiles.ChainsTo(certificate, authorities, out _);
        }
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            await output.WriteLineAsync($"{(int)response.StatusCode} {body.Trim()}");
            return response.StatusCode == System.Net.HttpStatusCode.OK ? ExitCodes.Ok : ExitCodes.ProbeFailed;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await output.WriteLineAsync($"probe of {url} failed: {e.GetBaseException().Message}");
            return ExitCodes.ProbeFailed;
        }
    }
}
