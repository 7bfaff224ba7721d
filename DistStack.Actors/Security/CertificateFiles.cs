using System.Security.Cryptography.X509Certificates;

namespace DistStack.Actors.Security;

/// <summary>Reads certificates the way operators keep them: PEM (certificate and key, in one file or two) or PKCS#12.</summary>
public static class CertificateFiles
{
    /// <summary>
    /// A certificate with its private key: <paramref name="keyPath"/> given = PEM certificate + PEM key; otherwise a PEM
    /// file holding both, or a PKCS#12 (.pfx/.p12) file. <paramref name="password"/> opens an encrypted key or PKCS#12.
    /// Throws <see cref="CertificateFileException"/> naming the file and what is wrong.
    /// </summary>
    public static X509Certificate2 LoadIdentity(string certificatePath, string? keyPath, string? password)
    {
        try
        {
            X509Certificate2 certificate;
            if (!string.IsNullOrEmpty(keyPath))
                certificate = string.IsNullOrEmpty(password)
                    ? X509Certificate2.CreateFromPemFile(certificatePath, keyPath)
                    : X509Certificate2.CreateFromEncryptedPemFile(certificatePath, password, keyPath);
            else if (IsPem(certificatePath))
                certificate = string.IsNullOrEmpty(password)
                    ? X509Certificate2.CreateFromPemFile(certificatePath)
                    : X509Certificate2.CreateFromEncryptedPemFile(certificatePath, password);
            else
                certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password);

            if (!certificate.HasPrivateKey)
                throw new CertificateFileException($"{certificatePath} has no private key (give the key file too)");
            // A PEM key is ephemeral; TLS servers on some platforms need a persisted one. Round-trip through PKCS#12.
            using (certificate)
                return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new CertificateFileException($"cannot read certificate {certificatePath}{(string.IsNullOrEmpty(keyPath) ? "" : $" with key {keyPath}")}: {e.Message}", e);
        }
    }

    /// <summary>The certificate authorities in a PEM bundle (or one DER certificate).</summary>
    public static X509Certificate2Collection LoadAuthorities(string path)
    {
        try
        {
            var authorities = new X509Certificate2Collection();
            if (IsPem(path)) authorities.ImportFromPemFile(path);
            else authorities.Add(X509CertificateLoader.LoadCertificateFromFile(path));
            if (authorities.Count == 0) throw new CertificateFileException($"{path} holds no certificate");
            return authorities;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new CertificateFileException($"cannot read CA certificate(s) {path}: {e.Message}", e);
        }
    }

    /// <summary>True if <paramref name="certificate"/> chains to one of <paramref name="authorities"/> (and to nothing else: the system's roots do not count).</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection authorities, out string problem)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var ok = chain.Build(certificate);
        problem = ok ? "" : string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).DefaultIfEmpty("untrusted"));
        return ok;
    }

    private static bool IsPem(string path)
    {
        using var reader = new StreamReader(path);
        var buffer = new char[4096];
        var read = reader.ReadBlock(buffer, 0, buffer.Length);
        return new string(buffer, 0, read).Contains("-----BEGIN ", StringComparison.Ordinal);
    }
}

public sealed class CertificateFileException : Exception
{
    public CertificateFileException(string message) : base(message) { }
    public CertificateFileException(string message, Exception inner) : base(message, inner) { }
}
