using DistStack.Host.Security;

namespace DistStack.Tests.Security;

public sealed class AccessRulesTests
{
    private static readonly AccessRules Rules = new(["/metrics", "/"]);

    [Theory]
    [InlineData("GET", "/health", AccessScope.None)]
    [InlineData("GET", "/health/ready", AccessScope.None)]
    [InlineData("POST", "/health", AccessScope.None)]
    [InlineData("GET", "/healthy", AccessScope.Read)]
    [InlineData("GET", "/metrics", AccessScope.None)]
    [InlineData("GET", "/", AccessScope.None)]
    [InlineData("GET", "/dashboard.js", AccessScope.Read)]
    [InlineData("POST", "/sId", AccessScope.Read)]
    [InlineData("POST", "/sTop", AccessScope.Read)]
    [InlineData("POST", "/sSize", AccessScope.Read)]
    [InlineData("POST", "/sCreate", AccessScope.ReadWrite)]
    [InlineData("POST", "/sPush", AccessScope.ReadWrite)]
    [InlineData("POST", "/sPop", AccessScope.ReadWrite)]
    [InlineData("POST", "/sDelete", AccessScope.ReadWrite)]
    [InlineData("GET", "/cluster/status", AccessScope.Read)]
    [InlineData("HEAD", "/cluster/status", AccessScope.Read)]
    [InlineData("POST", "/cluster/members", AccessScope.Admin)]
    [InlineData("DELETE", "/cluster/members/3", AccessScope.Admin)]
    [InlineData("POST", "/cluster/backup", AccessScope.Admin)]
    // A backup is a GET, but it holds every stack: admin only.
    [InlineData("GET", "/cluster/snapshot", AccessScope.Admin)]
    [InlineData("HEAD", "/cluster/snapshot", AccessScope.Admin)]
    // raftexample's membership changes, and malformed ids on those paths too.
    [InlineData("POST", "/4", AccessScope.Admin)]
    [InlineData("DELETE", "/4", AccessScope.Admin)]
    [InlineData("DELETE", "/-4/", AccessScope.Admin)]
    [InlineData("POST", "/99999999999", AccessScope.Admin)]
    [InlineData("GET", "/4", AccessScope.Read)]
    [InlineData("POST", "/cluster/members/4/promote", AccessScope.Admin)]
    [InlineData("GET", "/cluster/members", AccessScope.Read)]
    [InlineData("POST", "/4a", AccessScope.ReadWrite)]
    // Endpoints that do not exist yet fall under the generic rules: a GET reads, anything else writes.
    [InlineData("GET", "/v1/stacks/s/top", AccessScope.Read)]
    [InlineData("POST", "/v1/stacks/s/push", AccessScope.ReadWrite)]
    [InlineData("PUT", "/anything", AccessScope.ReadWrite)]
    public void A_request_needs_the_scope_its_method_and_path_imply(string method, string path, AccessScope expected) =>
        Assert.Equal(expected, Rules.Required(method, path));

    [Fact]
    public void Without_open_paths_metrics_and_the_dashboard_need_a_read_token()
    {
        var closed = new AccessRules([]);
        Assert.Equal(AccessScope.Read, closed.Required("GET", "/metrics"));
        Assert.Equal(AccessScope.Read, closed.Required("GET", "/"));
        Assert.Equal(AccessScope.None, closed.Required("GET", "/health"));
    }
}

public sealed class BearerTokensTests
{
    [Fact]
    public void Each_token_has_its_scope_and_anything_else_has_none()
    {
        var tokens = BearerTokens.Parse("# comment\n\nread rrrrrrrrrrrrrrrr\nread-write wwwwwwwwwwwwwwww\r\nadmin aaaaaaaaaaaaaaaa\n", "tokens");
        Assert.Equal(3, tokens.Count);
        Assert.Equal(AccessScope.Read, tokens.ScopeOf("rrrrrrrrrrrrrrrr"));
        Assert.Equal(AccessScope.ReadWrite, tokens.ScopeOf("wwwwwwwwwwwwwwww"));
        Assert.Equal(AccessScope.Admin, tokens.ScopeOf("aaaaaaaaaaaaaaaa"));
        Assert.Null(tokens.ScopeOf("rrrrrrrrrrrrrrr"));
        Assert.Null(tokens.ScopeOf("rrrrrrrrrrrrrrrrr"));
        Assert.Null(tokens.ScopeOf(""));
    }

    [Theory]
    [InlineData("write wwwwwwwwwwwwwwww", "line 1: unknown scope 'write'")]
    [InlineData("read short", "line 1: a token must be at least 16")]
    [InlineData("read", "line 1: expected '<scope> <token>'")]
    [InlineData("read a b", "line 1: expected '<scope> <token>'")]
    [InlineData("read xxxxxxxxxxxxxxxx\nadmin xxxxxxxxxxxxxxxx", "line 2: this token is already listed")]
    [InlineData("# nothing\n", "no tokens")]
    public void A_bad_file_is_refused_naming_the_line_but_never_the_token(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => BearerTokens.Parse(text, "tokens"));
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain("xxxxxxxxxxxxxxxx", error.Message);
        Assert.DoesNotContain("wwwwwwwwwwwwwwww", error.Message);
    }

    [Theory]
    [InlineData("Bearer abc", "abc")]
    [InlineData("bearer  abc ", "abc")]
    [InlineData("Basic abc", null)]
    [InlineData("Bearer ", null)]
    [InlineData("", null)]
    public void The_token_is_read_from_a_bearer_authorization_header(string header, string? expected) =>
        Assert.Equal(expected, TokenAuthentication.BearerToken(header));
}
