using System.Text;
using System.Text.RegularExpressions;
using DistStack.Host.Observability;

namespace DistStack.Tests.Observability;

/// <summary>The dashboard ships whole inside the Host: it must work offline, so it may load nothing from elsewhere.</summary>
public sealed class DashboardPageTests
{
    private static readonly string Page = Encoding.UTF8.GetString(DashboardPage.Bytes);

    [Fact]
    public void The_page_loads_no_external_script_style_font_or_image()
    {
        Assert.Contains("<script>", Page);
        // Any src/href attribute, CSS url() or @import would be a request the page makes; none may leave the node.
        Assert.DoesNotMatch(new Regex(@"\b(src|href)\s*=", RegexOptions.IgnoreCase), Page);
        Assert.DoesNotMatch(new Regex(@"url\s*\(|@import", RegexOptions.IgnoreCase), Page);
        Assert.DoesNotMatch(new Regex(@"https?://", RegexOptions.IgnoreCase), Page);
    }

    [Fact]
    public void The_page_polls_only_its_own_node()
    {
        var fetches = Regex.Matches(Page, @"fetch\(""([^""]+)""").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["/cluster/overview"], fetches);
    }
}
