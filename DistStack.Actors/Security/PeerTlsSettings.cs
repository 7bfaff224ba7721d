using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace DistStack.Actors.Security;

/// <summary>
/// Mutual TLS between peers (diststack.peer-tls): Akka.Remote's DotNetty transport runs over TLS, every node presents
/// its own certificate, and a connection in either direction is accepted only if the other side's certificate chains
/// to the cluster's CA (<see cref="CaPath"/>), not to the machine's public roots. A process without such a
/// certificate cannot open a connection, so it cannot send a node anything, Raft or otherwise.
/// Host names are not checked: nodes are identified by their CA, and each message's claimed member is checked
/// against the address it came from (RaftNode).
/// </summary>
public sealed record PeerTlsSettings(string CertificatePath, string? KeyPath, string? Password, string CaPath)
{
    /// <summary>From the diststack section's peer-tls block; null when no certificate is configured (plain TCP).</summary>
    public static PeerTlsSettings? FromConfig(Config diststack)
    {
        var tls = diststack.GetConfig("peer-tls");
        var certificate = tls?.GetString("certificate", "");
        if (tls is null || string.IsNullOrWhiteSpace(certificate)) return null;
        var ca = tls.GetString("ca", "");
        if (string.IsNullOrWhiteSpace(ca))
            throw new ArgumentException("diststack.peer-tls.certificate is set but diststack.peer-tls.ca is not: peers are accepted only if signed by the cluster's CA.");
        return new PeerTlsSettings(Path.GetFullPath(certificate), NullIfEmpty(tls.GetString("key", "")),
            NullIfEmpty(tls.GetString("password", "")), Path.GetFullPath(ca));
    }

    /// <summary>The transport setup (certificate, mutual authentication, cluster-CA validation). Reads the files; throws <see cref="CertificateFileException"/>.</summary>
    public DotNettySslSetup CreateSetup()
    {
        var certificate = CertificateFiles.LoadIdentity(CertificatePath, KeyPath is null ? null : Path.GetFullPath(KeyPath), Password);
        var authorities = CertificateFiles.LoadAuthorities(CaPath);
        if (!CertificateFiles.ChainsTo(certificate, authorities, out var problem))
            throw new CertificateFileException($"{CertificatePath} is not signed by the cluster CA in {CaPath}: {problem}");
        return new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true,
            validateCertificateHostname: false, customValidator: SignedByClusterCa(authorities));
    }

    private static CertificateValidationCallback SignedByClusterCa(X509Certificate2Collection authorities) =>
        (certificate, _, remotePeer, errors, log) =>
        {
            if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            {
                log?.Warning("Refused peer connection {0}: it presented no certificate", remotePeer);
                return false;
            }
            if (CertificateFiles.ChainsTo(certificate, authorities, out var problem)) return true;
            log?.Warning("Refused peer connection {0}: certificate {1} is not signed by the cluster CA ({2})",
                remotePeer, certificate.Subject, problem);
            return false;
        };

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
