using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace DistStack.Host.Http.V1;

/// <summary>
/// Describes a body the handler reads itself. Accepts&lt;T&gt;() would also make the route match only that content
/// type, and curl -d sends a form type: such a push would fall through to "no such endpoint" instead of being read.
/// </summary>
public static class DocumentRequestBody
{
    public static Task JsonArrayOfStrings(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = $"A JSON array of 1 to {JsonValues.MaxValues} strings, each 1 byte to {RequestParsing.MaxValueBytes / 1024} KiB of UTF-8; at most {RequestParsing.MaxBodyBytes / (1024 * 1024)} MiB in all.",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new()
                {
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                },
            },
        };
        return Task.CompletedTask;
    }
}
