using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace InceptionGen.Tests.Generator;

/// <summary>
/// Identifiers in the generated code are unique by construction and cannot meet the user's: layer names that join
/// into the same text, layers named like the network's own ops, user members named like generated helpers, user
/// types named like namespaces the generated code uses, and C# keywords as names all compile without a warning.
/// </summary>
public sealed class EmittedIdentifierTests
{
    [Theory]
    // A module's branch "A" + "Branch1" and a layer "A_Branch1"; an auxiliary head "Aux" (its part "Conv") and a layer "AuxConv".
    [InlineData("""
        [Inception(16, 8, 16, 4, 8, 8)] public partial Inception A { get; }
        [Conv(16)] public partial Conv A_Branch1 { get; }
        [Conv(16)] public partial Conv ABranch1 { get; }
        [AuxiliaryClassifier(10, PoolKernel = 2, PoolStride = 2)] public partial AuxiliaryClassifier Aux { get; }
        [Conv(16)] public partial Conv AuxConv { get; }
        [Conv(16)] public partial Conv Aux_Conv { get; }
        [GlobalAveragePool] public partial Pool Pool { get; }
        [Linear(10)] public partial Linear Classifier { get; }
        """)]
    // Layers named like the network's own first and last ops.
    [InlineData("""
        [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Input { get; }
        [Conv(16)] public partial Conv Output { get; }
        [GlobalAveragePool] public partial Pool Pool { get; }
        [Linear(10)] public partial Linear Classifier { get; }
        """)]
    // No convolution at all: no weights to pack, and no unreachable code for it.
    [InlineData("""
        [GlobalAveragePool] public partial Pool Pool { get; }
        [Linear(10)] public partial Linear Classifier { get; }
        """)]
    // A network that ends on a map, with a layer named Output before its own output layout.
    [InlineData("""
        [Conv(16)] public partial Conv Output { get; }
        [MaxPool(2)] public partial Pool Pool { get; }
        """)]
    public void LayerNamesThatMeetGeneratedNames_CompileWithoutWarnings(string layers)
        => AssertCompilesCleanly($$"""
            using InceptionGen;
            namespace Zoo;
            [Network(Channels = 16, Height = 8, Width = 8)]
            public sealed partial class Net
            {
            {{layers}}
            }
            """);

    [Fact]
    public void UserMembersNamedLikeGeneratedHelpers_DoNotMeetThem()
        => AssertCompilesCleanly("""
            using InceptionGen;
            namespace Zoo;
            [Network(Channels = 3, Height = 16, Width = 16)]
            public sealed partial class Net
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }

                private readonly int _pool = 1, _parameters = 2, _batch = 3, _layerConv1 = 4;
                private void RunConv1() { }
                private void PackWeights() { }
                private void ForwardPass() { }
                private static int ItemCount() => 0;
                private const int ImagesPerPass = 7;
                public int Sum() => _pool + _parameters + _batch + _layerConv1 + ImagesPerPass + ItemCount();
            }
            """);

    [Fact]
    public void UserTypesNamedSystemOrThreading_AndKeywordNames_DoNotBreakTheGeneratedCode()
        => AssertCompilesCleanly("""
            using InceptionGen;
            namespace Zoo.@class
            {
                public sealed class System { }
                public sealed class Threading { }
                public sealed class InceptionGen { }
                public partial class @event
                {
                    [Network(Channels = 3, Height = 16, Width = 16)]
                    public sealed partial class @object
                    {
                        [Conv(16, Kernel = 3, Padding = 1)] public partial Conv @int { get; }
                        [GlobalAveragePool] public partial Pool @static { get; }
                        [Linear(10)] public partial Linear @class { get; }
                    }
                }
            }
            """);

    private static void AssertCompilesCleanly(string source)
    {
        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.Exceptions);
        Assert.Empty(result.GeneratorDiagnostics.Where(diagnostic => diagnostic.Severity >= DiagnosticSeverity.Warning));
        Assert.NotEmpty(result.GeneratedSources);

        // Every warning the compiler knows, including the newer warning waves.
        var strict = result.Output.WithOptions(((CSharpCompilationOptions)result.Output.Options).WithWarningLevel(9999));
        var problems = strict.GetDiagnostics().Where(diagnostic => diagnostic.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, $"{problems.Count} warnings or errors:\n{string.Join("\n", problems.Take(20))}");
    }
}
