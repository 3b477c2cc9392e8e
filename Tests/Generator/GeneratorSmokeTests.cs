using Xunit;

namespace InceptionGen.Tests.Generator;

public sealed class GeneratorSmokeTests
{
    [Fact]
    public void SmallNetworkGeneratesCodeThatCompilesWithoutWarnings()
    {
        var result = GeneratorHarness.Run("""
            using InceptionGen;
            namespace Sample;
            [Network(Channels = 1, Height = 8, Width = 8)]
            public sealed partial class Tiny
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """);

        Assert.Empty(result.Exceptions);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompilationProblems);
        Assert.Contains("Sample.Tiny.g.cs", result.GeneratedSources.Keys);
    }

    [Fact]
    public void LayerNamedWithAKeywordGetsItsAtSignBack()
    {
        var result = GeneratorHarness.Run("""
            using InceptionGen;
            namespace Sample;
            [Network(Channels = 1, Height = 8, Width = 8)]
            public sealed partial class Keywords
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv @class { get; }
                [GlobalAveragePool] public partial Pool @static { get; }
                [Linear(10)] public partial Linear @void { get; }
            }
            """);

        Assert.Empty(result.Exceptions);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompilationProblems);
        Assert.Contains("public partial global::InceptionGen.Conv @class =>", result.GeneratedSources["Sample.Keywords.g.cs"]);
    }
}
