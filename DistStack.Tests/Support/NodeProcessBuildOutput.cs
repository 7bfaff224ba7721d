namespace DistStack.Tests.Support;

/// <summary>
/// Where DistStack.Host.dll is. The test project references DistStack.Host, so the build copies the dll with its
/// runtimeconfig and deps files next to the tests; <c>DISTSTACK_HOST_DLL</c> overrides (e.g. a Release build).
/// </summary>
public static class NodeProcessBuildOutput
{
    public const string OverrideVariable = "DISTSTACK_HOST_DLL";

    public static string HostDll
    {
        get
        {
            var fromEnvironment = Environment.GetEnvironmentVariable(OverrideVariable);
            if (!string.IsNullOrWhiteSpace(fromEnvironment))
                return File.Exists(fromEnvironment) ? Path.GetFullPath(fromEnvironment)
                    : throw new FileNotFoundException($"{OverrideVariable} points at a missing file", fromEnvironment);

            var nextToTests = Path.Combine(AppContext.BaseDirectory, "DistStack.Host.dll");
            if (File.Exists(nextToTests) && File.Exists(Path.ChangeExtension(nextToTests, ".runtimeconfig.json")))
                return nextToTests;

            // Fallback: the Host project's own output, found from the repository root.
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var project = Path.Combine(dir.FullName, "DistStack.Host");
                if (!Directory.Exists(project)) continue;
                foreach (var configuration in new[] { "Debug", "Release" })
                {
                    var candidate = Path.Combine(project, "bin", configuration, "net10.0", "DistStack.Host.dll");
                    if (File.Exists(candidate)) return candidate;
                }
            }
            throw new FileNotFoundException("DistStack.Host.dll not found next to the tests nor under DistStack.Host/bin; build the solution first");
        }
    }
}
