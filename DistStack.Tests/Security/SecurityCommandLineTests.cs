using DistStack.Host.CommandLine;

namespace DistStack.Tests.Security;

/// <summary>The security flags: defaults off, flags and variables read, inconsistent combinations refused with a message.</summary>
public sealed class SecurityCommandLineTests
{
    private const string Node = "--id 1 --cluster http://127.0.0.1:12379 --port 12380";

    private static CommandLineResult Parse(string commandLine, Dictionary<string, string>? environment = null) =>
        NodeCommandLine.Parse(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            name => environment is not null && environment.TryGetValue(name, out var value) ? value : null);

    private static NodeOptions Options(string commandLine, Dictionary<string, string>? environment = null) =>
        Assert.IsType<CommandLineResult.RunNode>(Parse(commandLine, environment)).Options;

    [Fact]
    public void By_default_nothing_is_secured_as_before()
    {
        var options = Options(Node);
        Assert.Null(options.HttpBind);
        Assert.False(options.UsesHttps);
        Assert.Null(options.PeerCertificate);
        Assert.Null(options.AuthTokensFile);
        Assert.Empty(options.AuthOpenPaths);
    }

    [Fact]
    public void Flags_and_variables_set_https_peer_tls_tokens_and_the_bind_address()
    {
        var options = Options($"{Node} --bind 127.0.0.1 --tls-cert a.crt --tls-key a.key --peer-cert p.crt --peer-key p.key --peer-ca ca.crt --auth-open /metrics,/",
            new() { ["DISTSTACK_AUTH_TOKENS"] = "tokens", ["DISTSTACK_TLS_PASSWORD"] = "secret" });
        Assert.Equal("127.0.0.1", options.HttpBind);
        Assert.Equal(("a.crt", "a.key", "secret"), (options.TlsCertificate, options.TlsKey, options.TlsPassword));
        Assert.Equal(("p.crt", "p.key", "ca.crt"), (options.PeerCertificate, options.PeerKey, options.PeerCa));
        Assert.Equal("tokens", options.AuthTokensFile);
        Assert.Equal(["/metrics", "/"], options.AuthOpenPaths);
    }

    [Theory]
    [InlineData("--bind example", "--bind: 'example' is not an IP address or localhost")]
    [InlineData("--tls-key a.key", "--tls-key needs --tls-cert")]
    [InlineData("--peer-cert p.crt", "--peer-cert needs --peer-ca")]
    [InlineData("--auth-open metrics", "--auth-open: 'metrics' is not a path")]
    public void Inconsistent_security_flags_are_refused_with_a_message(string flags, string expected)
    {
        var refused = Assert.IsType<CommandLineResult.Refuse>(Parse($"{Node} {flags}"));
        Assert.Equal(ExitCodes.Usage, refused.ExitCode);
        Assert.Contains(expected, refused.Message);
    }

    [Fact]
    public void The_probe_trusts_the_CA_of_the_flag_or_the_variable()
    {
        Assert.Equal("ca.crt", Assert.IsType<CommandLineResult.Probe>(Parse("--probe https://127.0.0.1:1/health --tls-ca ca.crt")).CaPath);
        Assert.Equal("env.crt", Assert.IsType<CommandLineResult.Probe>(
            Parse("--probe https://127.0.0.1:1/health", new() { ["DISTSTACK_TLS_CA"] = "env.crt" })).CaPath);
        Assert.Null(Assert.IsType<CommandLineResult.Probe>(Parse("--probe http://127.0.0.1:1/health")).CaPath);
    }
}
