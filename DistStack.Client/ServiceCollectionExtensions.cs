using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DistStack.Client;

/// <summary>Registers <see cref="DistStackClient"/> with dependency injection and IHttpClientFactory.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds a <see cref="DistStackClient"/> built on a factory-managed HttpClient, configured by <paramref name="configure"/>
    /// (at least the node URLs). The client does its own retries across nodes: do not add a retrying or hedging
    /// handler to the returned builder (a hedged write would send two copies; a retry on the same node defeats failover).
    /// </summary>
    public static IHttpClientBuilder AddDistStackClient(this IServiceCollection services, Action<DistStackClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        return services.AddHttpClient<DistStackClient>(http => http.Timeout = Timeout.InfiniteTimeSpan) // our own deadline and attempt timeout rule
            .ConfigurePrimaryHttpMessageHandler(provider =>
                DistStackClient.CreateHandler(provider.GetRequiredService<IOptions<DistStackClientOptions>>().Value))
            .AddTypedClient((http, provider) => new DistStackClient(http, provider.GetRequiredService<IOptions<DistStackClientOptions>>().Value));
    }
}
