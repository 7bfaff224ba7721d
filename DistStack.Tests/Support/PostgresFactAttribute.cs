namespace DistStack.Tests.Support;

/// <summary>
/// A test that needs a real PostgreSQL server. Without server binaries it is skipped with the reason (a developer
/// machine without PostgreSQL), unless DISTSTACK_REQUIRE_POSTGRES=1 (CI): then it runs and fails saying why.
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresBinaries.Find() is null && !PostgresBinaries.Required) Skip = PostgresBinaries.NotFoundReason;
    }
}
