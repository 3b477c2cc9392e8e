using Xunit;

namespace InceptionGen.Tests.Build;

/// <summary>The benchmarks' peers (BenchmarkDotNet, the compare command) stay out of the test build, so running the tests downloads none of them.</summary>
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
}
