using DistStack.Host.Http;

namespace DistStack.Host.Security;

/// <summary>
/// Bearer-token authentication for every request, before any endpoint runs (off unless --auth-tokens is given):
/// 401 with WWW-Authenticate without a valid token, 403 when the token's scope does not cover the request
/// (<see cref="AccessRules"/>). Answers are one plain-text line like every other; nothing changes on a refusal.
/// </summary>
public static class TokenAuthentication
{
    private const string Challenge = "Bearer realm=\"diststack\"";

    public static WebApplication UseTokenAuthentication(this WebApplication app, BearerTokens? tokens, AccessRules rules)
    {
        if (tokens is null) return app;
        app.Use(async (context, next) =>
        {
            var required = rules.Required(context.Request.Method, context.Request.Path.Value ?? "/");
            if (required == AccessScope.None)
            {
                await next(context);
                return;
            }
            var presented = BearerToken(context.Request.Headers.Authorization.ToString());
            if (presented is null)
            {
                context.Response.Headers.WWWAuthenticate = Challenge;
                await TextAnswers.WriteAsync(context, StatusCodes.Status401Unauthorized,
                    "authentication required: send 'Authorization: Bearer <token>'; nothing was changed");
                return;
            }
            var scope = tokens.ScopeOf(presented);
            if (scope is null)
            {
                context.Response.Headers.WWWAuthenticate = Challenge + ", error=\"invalid_token\"";
                await TextAnswers.WriteAsync(context, StatusCodes.Status401Unauthorized,
                    "the bearer token is not valid; nothing was changed");
                return;
            }
            if (scope < required)
            {
                await TextAnswers.WriteAsync(context, StatusCodes.Status403Forbidden,
                    $"a {AccessScopes.Name(scope.Value)} token does not allow {context.Request.Method} {context.Request.Path} " +
                    $"(needs {AccessScopes.Name(required)}); nothing was changed");
                return;
            }
            await next(context);
        });
        return app;
    }

    /// <summary>The token of an "Authorization: Bearer &lt;token&gt;" header (scheme case-insensitive), or null.</summary>
    public static string? BearerToken(string header)
    {
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return null;
        var token = header[scheme.Length..].Trim();
        return token.Length == 0 ? null : token;
    }
}
