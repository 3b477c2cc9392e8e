using System.Xml.Linq;
using InceptionGen.Tests.Generator;
using Xunit;

namespace InceptionGen.Tests.Build;

/// <summary>
/// The benchmarks' peers (BenchmarkDotNet, the compare command) stay out of the test build, so running the tests downloads none of them;
/// and the benchmarks stay off the CLI, so they do not pull in its plotting and training.
/// </summary>
public sealed class IsolationTests
{
    [Theory]
    [InlineData("InceptionGen.Benchmarks")]
    [InlineData("BenchmarkDotNet")]
    public void TestBuildDoesNotDependOn(string package)
    {
        var dependencies = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "InceptionGen.Tests.deps.json"));
        Assert.Contains("InceptionGen.Runtime", dependencies, StringComparison.Ordinal);
        Assert.DoesNotContain(package, dependencies, StringComparison.Ordinal);
    }

    [Fact]
    public void BenchmarksTakeTheCommandLineLibraryNotTheCli()
    {
        var project = XDocument.Parse(RepositoryFiles.ReadText("Benchmarks", "InceptionGen.Benchmarks.csproj"));
        var references = project.Descendants("ProjectReference").Select(reference => Path.GetFileName((string?)reference.Attribute("Include"))).ToList();
        Assert.Contains("InceptionGen.CommandLine.csproj", references);
        Assert.DoesNotContain("InceptionGen.Cli.csproj", references);
    }
}
