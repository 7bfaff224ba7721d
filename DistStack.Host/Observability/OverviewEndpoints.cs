using System.Text.Json;
using DistStack.Host.Http;

namespace DistStack.Host.Observability;

/// <summary>GET /cluster/overview (JSON, what the dashboard polls) and GET / or /dashboard (the dashboard itself).</summary>
public static class OverviewEndpoints
{
    public static IEndpointRouteBuilder MapOverviewEndpoints(this IEndpointRouteBuilder app)
    {
        StatusEndpoints.MapGet(app, "/cluster/overview", async context =>
        {
            var overview = await context.RequestServices.GetRequiredService<ClusterOverviewCollector>().CollectAsync(context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            await JsonSerializer.SerializeAsync(context.Response.Body, overview, OverviewJsonContext.Default.ClusterOverviewDocument,
                context.RequestAborted);
            await context.Response.WriteAsync("\n", context.RequestAborted);
        });
        return app;
    }

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        RequestDelegate page = async context =>
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.Body.WriteAsync(DashboardPage.Bytes, context.RequestAborted);
        };
        StatusEndpoints.MapGet(app, "/", page);
        StatusEndpoints.MapGet(app, "/dashboard", page);
        return app;
    }
}

/// <summary>The dashboard: one self-contained HTML file (styles and script inline, no external asset) embedded in the Host.</summary>
public static class DashboardPage
{
    public const string ResourceName = "DistStack.Host.dashboard.html";

    public static readonly byte[] Bytes = Load();

    private static byte[] Load()
    {
        using var stream = typeof(DashboardPage).Assembly.GetManifestResourceStream(ResourceName)
                           ?? throw new InvalidOperationException($"the embedded resource {ResourceName} is missing");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
