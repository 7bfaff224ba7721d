using System.Security.Cryptography.X509Certificates;
using Akka.Remote.Transport.DotNetty;
using DistStack.Actors.Hosting;
using DistStack.Actors.Security;
using DistStack.Host.CommandLine;

namespace DistStack.Host.Security;

/// <summary>
/// The node's security material, read once at start so a bad file stops the node with one clear line: the HTTPS
/// certificate (--tls-cert/--tls-key), the peer TLS setup (diststack.peer-tls) and the bearer tokens (--auth-tokens).
/// All null: plain HTTP, plain TCP between peers, no authentication (the default).
/// </summary>
public sealed record HostSecurity(
    X509Certificate2? HttpsCertificate, DotNettySslSetup? PeerTls, BearerTokens? Tokens, AccessRules Rules)
{
    public static readonly HostSecurity None = new(null, null, null, new AccessRules([]));

    /// <summary>Throws <see cref="HostSecurityException"/> with a message for the user.</summary>
    public static HostSecurity Load(NodeOptions options, RaftNodeSettings settings)
    {
        try
        {
            var https = options.TlsCertificate is null
                ? null
                : CertificateFiles.LoadIdentity(options.TlsCertificate, options.TlsKey, options.TlsPassword);
            var peer = settings.PeerTls?.CreateSetup();
            var tokens = options.AuthTokensFile is null ? null : BearerTokens.Load(options.AuthTokensFile);
            return new HostSecurity(https, peer, tokens, new AccessRules(options.AuthOpenPaths));
        }
        catch (CertificateFileException e)
        {
            throw new HostSecurityException(e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new HostSecurityException($"--auth-tokens: {e.Message}", e);
        }
    }
}

public sealed class HostSecurityException(string message, Exception inner) : Exception(message, inner);
