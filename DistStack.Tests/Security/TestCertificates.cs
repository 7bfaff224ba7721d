using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DistStack.Tests.Security;

/// <summary>
/// A throw-away CA and certificates it signs, written as PEM files under a temp folder, made in the test with
/// CertificateRequest (CI needs no openssl). Each certificate is valid for localhost and 127.0.0.1, for both TLS
/// server and client use (a peer is both).
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly X509Certificate2 _ca;

    private TestCertificates(string directory, X509Certificate2 ca)
    {
        Directory = directory;
        _ca = ca;
        CaPath = Path.Combine(directory, "ca.pem");
        File.WriteAllText(CaPath, ca.ExportCertificatePem());
    }

    public string Directory { get; }

    /// <summary>The CA certificate (PEM), what nodes and clients trust.</summary>
    public string CaPath { get; }

    public X509Certificate2 Authority => _ca;

    public static TestCertificates Create(string name = "DistStack test CA")
    {
        var directory = Path.Combine(Path.GetTempPath(), "diststack-tests", "certs-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));
        return new TestCertificates(directory, ca);
    }

    /// <summary>Writes <paramref name="name"/>.crt.pem and <paramref name="name"/>.key.pem, signed by this CA.</summary>
    public (string CertificatePath, string KeyPath) Issue(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        var serial = RandomNumberGenerator.GetBytes(12);
        using var certificate = request.Create(_ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
        var certificatePath = Path.Combine(Directory, name + ".crt.pem");
        var keyPath = Path.Combine(Directory, name + ".key.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    public void Dispose()
    {
        _ca.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }
}
