namespace DistStack.Tests.Support;

/// <summary>
/// A test that needs headless Chromium. Without it the test is skipped with the reason on a developer machine,
/// but with CI=true (CI) it runs and fails saying why: CI must never silently skip the browser test.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HeadlessChromium.Find() is null && !HeadlessChromium.Required) Skip = HeadlessChromium.NotFoundReason;
    }
}
