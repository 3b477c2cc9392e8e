using System.Diagnostics;
using InceptionGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Xunit;

namespace InceptionGen.Tests.Generator;

/// <summary>
/// One test per class of input that a fuzzing campaign (issue 17) found to hang the generator, crash it (CS8785,
/// IG0016) or make it emit code that does not compile. Each either compiles cleanly, with no warning, or gets an
/// IG diagnostic at the declaration it is about (marked as in <see cref="DiagnosticTests"/>).
/// </summary>
public sealed class HardeningTests
{
    private const string Head = """

            [GlobalAveragePool] public partial Pool Pool { get; }
            [Linear(10)] public partial Linear Classifier { get; }
        """;

    private static string Net(string layers, string declaration = "public sealed partial class Net", string network = "Channels = 3, Height = 8, Width = 8", string prelude = "")
        => $"using InceptionGen;\n{prelude}\n[Network({network})]\n{declaration}\n{{\n    {layers}\n}}\n";

    // ---- hangs and slowness: every number is bounded before planning --------------------------------

    [Theory]
    [InlineData("[[|Conv(48, Kernel = 1, Padding = int.MaxValue)|]] public partial Conv Conv1 { get; }", "Padding of 'Conv1'", "2,147,483,647", "1,024")]
    [InlineData("[[|Conv(48, Kernel = 1, Padding = 1 << 30)|]] public partial Conv Conv1 { get; }", "Padding of 'Conv1'", "1,073,741,824")]
    [InlineData("[[|Conv(48, Kernel = 1 << 30)|]] public partial Conv Conv1 { get; }", "Kernel of 'Conv1'")]
    [InlineData("[[|MaxPool(3, Stride = int.MaxValue)|]] public partial Pool Pool1 { get; }", "Stride of 'Pool1'")]
    [InlineData("[[|Inception(1 << 20, 0, 0, 0, 0, 0)|]] public partial Inception Inception1 { get; }", "#1x1 of 'Inception1'", "65,536")]
    [InlineData("[[|AuxiliaryClassifier(10, HiddenUnits = 1 << 24)|]] public partial AuxiliaryClassifier Aux { get; }", "HiddenUnits of 'Aux'")]
    public void HugeOptions_AreBoundedBeforePlanning_AtTheAttribute(string layer, params string[] facts)
    {
        var source = Net("[Conv(16)] public partial Conv Stem { get; }\n    " + layer + Head);
        var time = Stopwatch.StartNew();
        var diagnostic = Assert.Single(DiagnosticTests.Run("IG0020", DiagnosticSeverity.Error, out _, source));
        Assert.True(time.Elapsed < TimeSpan.FromSeconds(2), $"took {time.Elapsed}");
        DiagnosticTests.AssertMessage(diagnostic, facts);
    }

    [Fact]
    public void HugeInput_IsBoundedAtTheClass()
    {
        var diagnostic = Assert.Single(DiagnosticTests.Run("IG0020", DiagnosticSeverity.Error, out _,
            Net("[Conv(16)] public partial Conv Stem { get; }" + Head, "public sealed partial class [|Net|]", "Channels = 3, Height = 1 << 20, Width = 4")));
        DiagnosticTests.AssertMessage(diagnostic, "Height of 'Net'", "16,384");
    }

    [Fact]
    public void ManyMultiplyAdds_AreBoundedInDoublePrecision()
    {
        // Each layer fits; together they would overflow the planner's long sums.
        var layers = string.Join("\n    ", Enumerable.Range(0, 40).Select(i => $"[Conv(4096, Kernel = 31, Padding = 15)] public partial Conv Conv{i} {{ get; }}"));
        var result = GeneratorHarness.Run(Net(layers, network: "Channels = 4096, Height = 64, Width = 64"));
        Assert.Empty(result.Exceptions);
        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Contains(diagnostic.Id, new[] { "IG0018", "IG0020" });
    }

    // ---- crashes -------------------------------------------------------------------------------

    [Fact]
    public void KeywordNamespace_GetsAValidHintName_AndCompiles()
    {
        var result = Clean(Net("[Conv(16)] public partial Conv Conv1 { get; }" + Head, prelude: "namespace @namespace;"));
        Assert.Equal(["namespace.Net.g.cs"], result.GeneratedSources.Keys);
    }

    [Fact]
    public void NetworksWhoseNamesDifferOnlyInCase_BothGenerate()
    {
        var result = Clean(
            Net("[Conv(16)] public partial Conv Conv1 { get; }" + Head),
            Net("[Conv(8)] public partial Conv Conv1 { get; }" + Head, "public sealed partial class NET"));
        Assert.Equal(["NET.1.g.cs", "Net.2.g.cs"], result.GeneratedSources.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void NetworkAttributeOnTwoPartsOfOneClass_IsLeftToTheCompiler_AndOtherNetworksStillGenerate()
    {
        var result = GeneratorHarness.Run(
            Net("[Conv(16)] public partial Conv Conv1 { get; }"),
            Net(Head.Trim()),
            Net("[Conv(16)] public partial Conv Conv1 { get; }" + Head, "public sealed partial class Other"));

        Assert.Empty(result.Exceptions);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Contains(result.Output.GetDiagnostics(), diagnostic => diagnostic.Id == "CS0579");
        Assert.Equal(["Net.g.cs", "Other.g.cs"], result.GeneratedSources.Keys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(result.Output.GetDiagnostics(), diagnostic => diagnostic.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true);
    }

    [Theory]
    [InlineData("[Dropout(0.5f)] public partial Dropout Drop1 { get; }\n    [Dropout(0.2f)] public partial Dropout Drop2 { get; }", "Channels = 10, Height = 1, Width = 1")]
    [InlineData("[Dropout(0.5f)] public partial Dropout Drop1 { get; }", "Channels = 3, Height = 8, Width = 8")]
    [InlineData("[Linear(16)] public partial Linear Hidden { get; }\n    [Dropout(0.5f)] public partial Dropout Drop { get; }\n    [Linear(10)] public partial Linear Classifier { get; }", "Channels = 64, Height = 1, Width = 1")]
    public void NetworkWithoutALayerOnTheInputMap_IsReportedAtTheClass(string layers, string network)
        => DiagnosticTests.Run("IG0023", DiagnosticSeverity.Error, out _, Net(layers, "public sealed partial class [|Net|]", network));

    [Fact]
    public void NetworkWithoutConvolution_CompilesWithoutWarnings()
        => Clean(Net("[MaxPool(2)] public partial Pool Pool1 { get; }" + Head));

    // ---- the layer property as declared -------------------------------------------------------

    [Theory]
    [InlineData("[[|Conv(16)|]] internal partial Conv Conv1 { get; }", "is internal, not public")]
    [InlineData("[[|Conv(16)|]] partial Conv Conv1 { get; }", "is private (no access modifier), not public")]
    [InlineData("[[|Conv(16)|]] protected partial Conv Conv1 { get; }", "is protected, not public")]
    [InlineData("[[|Conv(16)|]] public required partial Conv Conv1 { get; }", "is 'required'")]
    [InlineData("[[|Conv(16)|]] public virtual partial Conv Conv1 { get; }", "is 'virtual'")]
    [InlineData("[[|Conv(16)|]] public new partial Conv Conv1 { get; }", "is 'new'")]
    [InlineData("[[|Conv(16)|]] public partial Conv Conv1 { get; set; }", "has a 'set' accessor")]
    [InlineData("[[|Conv(16)|]] public partial Conv Conv1 { get; init; }", "has a 'init' accessor")]
    [InlineData("[[|Conv(16)|]] public partial Conv Conv1 { private get; }", "modifier on its 'get' accessor")]
    [InlineData("[[|Conv(16)|]] public partial Conv Conv1 { get; }\n    public partial Conv Conv1 { get => null!; }", "is implemented by hand")]
    public void LayerPropertyDeclaredOtherwise_IsReportedAtTheAttribute(string layer, string fact)
    {
        var diagnostics = DiagnosticTests.Run("IG0021", DiagnosticSeverity.Error, out _, Net(layer + Head));
        DiagnosticTests.AssertMessage(Assert.Single(diagnostics), fact, "'public partial Conv Conv1 { get; }'");
    }

    [Fact]
    public void StaticLayer_IsUnsupported()
        => DiagnosticTests.Run("IG0017", DiagnosticSeverity.Error, out _, Net("[[|Conv(16)|]] public static partial Conv Conv1 { get; }" + Head));

    // ---- names ---------------------------------------------------------------------------------

    // Private generated members all start with "__" (GeneratedMembers.PrivatePrefix), so only a name with that
    // prefix can meet one; names that met the old helpers (PackWeights, RunOperation, RunAuxConv) now compile.
    [Theory]
    [InlineData("__PackWeights")]
    [InlineData("__parameters")]
    [InlineData("__layer_Conv1")]
    public void LayerNamedWithThePrivatePrefix_IsReported(string name)
        => DiagnosticTests.Run("IG0019", DiagnosticSeverity.Error, out _, Net($"[[|Conv(16)|]] public partial Conv {name} {{ get; }}" + Head));

    [Theory]
    [InlineData("PackWeights")]
    [InlineData("ForwardPass")]
    [InlineData("_parameters")]
    [InlineData("Operation")]
    public void LayerNamedLikeAnOldHelper_Compiles(string name)
        => Clean(Net($"[Conv(16)] public partial Conv {name} {{ get; }}" + Head));

    [Fact]
    public void LayerNamedLikeAnotherLayersPart_Compiles()
        => Clean(Net("""
            [Conv(16)] public partial Conv Stem { get; }
                [AuxiliaryClassifier(10, PoolKernel = 2, PoolStride = 2)] public partial AuxiliaryClassifier Aux { get; }
                [Conv(16)] public partial Conv AuxConv { get; }
            """ + Head, network: "Channels = 3, Height = 16, Width = 16"));

    [Theory]
    [InlineData("public void [|Forward|]() { }")]
    [InlineData("public int [|Summary|] => 0;")]
    [InlineData("private int [|__pool|];")]
    [InlineData("public sealed class [|Graph|] { }")]
    [InlineData("public void [|__RunConv1|]() { }")]
    public void UserMemberNamedLikeAGeneratedMember_IsReportedAtTheMember(string member)
        => DiagnosticTests.Run("IG0022", DiagnosticSeverity.Error, out _, Net("[Conv(16)] public partial Conv Conv1 { get; }" + Head + "\n    " + member));

    [Fact]
    public void UserMembersThatOnlyLookLikeGeneratedOnes_AreFine()
        => Clean(Net("[Conv(16)] public partial Conv Conv1 { get; }" + Head + "\n    public int Running => 1;\n    public void RunAll() { }\n    public int Padding => 2;\n    private readonly int _pool = 1;\n    public int PoolSize => _pool;\n    public void RunConv1() { }\n    public void ConvolveConv1() { }"));

    [Theory]
    [InlineData("Summary")]
    [InlineData("Graph")]
    [InlineData("Forward")]
    public void ClassNamedLikeAGeneratedMember_IsReportedAtTheClassName(string name)
        => DiagnosticTests.Run("IG0022", DiagnosticSeverity.Error, out _, Net("[Conv(16)] public partial Conv Conv1 { get; }" + Head, $"public sealed partial class [|{name}|]"));

    [Fact]
    public void InheritedMemberNamedLikeAGeneratedMember_IsReportedAtTheClassName()
        => DiagnosticTests.Run("IG0022", DiagnosticSeverity.Error, out _,
            Net("[Conv(16)] public partial Conv Conv1 { get; }" + Head, "public sealed partial class [|Net|] : Base", prelude: "public class Base { public int MaxBatch => 1; }"));

    [Theory]
    [InlineData("System")]
    [InlineData("Threading")]
    [InlineData("InceptionGen")]
    [InlineData("Kernels")]
    [InlineData("Math")]
    [InlineData("Span")]
    [InlineData("Unsafe")]
    public void ClassNamedLikeANamespaceOrTypeTheCodeUses_Compiles(string name)
        => Clean(Net("[Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }" + Head, $"public sealed partial class {name}", prelude: "namespace Zoo;"));

    [Theory]
    [InlineData("public sealed partial class [|System|]", "")]
    [InlineData("public sealed partial class Net", "public partial class [|System|] { }")]
    public void TypeInTheGlobalNamespaceHidingANamespaceTheCodeUses_IsReportedOnce_AndNothingIsGenerated(string declaration, string other)
    {
        // (A global type 'InceptionGen' is checked too, but it also hides the attributes, so the compiler reports it first.)
        var sources = new[] { Net("[Conv(16)] public partial Conv Conv1 { get; }" + Head, declaration), Net("[Conv(16)] public partial Conv Conv1 { get; }" + Head, "public sealed partial class Fine", prelude: "namespace Zoo;"), other };
        var diagnostic = Assert.Single(DiagnosticTests.Run("IG0017", DiagnosticSeverity.Error, out _, sources.Where(source => source.Length > 0).ToArray()));
        DiagnosticTests.AssertMessage(diagnostic, "hides the namespace 'global::");
    }

    [Theory]
    [InlineData("public sealed partial class @class", "")]
    [InlineData("public sealed partial class Net", "namespace @event.@is;")]
    public void KeywordNames_Compile(string declaration, string prelude)
        => Clean(Net("[Conv(16)] public partial Conv @Conv1 { get; }" + Head, declaration, prelude: prelude));

    [Fact]
    public void KeywordContainingType_Compiles()
        => Clean("using InceptionGen;\npublic partial class @struct\n{\n    [Network(Channels = 3, Height = 8, Width = 8)]\n    public sealed partial class Net\n    {\n        [Conv(16)] public partial Conv Conv1 { get; }" + Head + "\n    }\n}\n");

    // ---- the class as declared -----------------------------------------------------------------

    [Fact]
    public void PrimaryConstructor_IsUnsupported()
    {
        var diagnostic = Assert.Single(DiagnosticTests.Run("IG0017", DiagnosticSeverity.Error, out _,
            Net("[Conv(16)] public partial Conv Conv1 { get; }" + Head, "public sealed partial class [|Net|](int size)")));
        DiagnosticTests.AssertMessage(diagnostic, "primary constructor");
    }

    [Fact]
    public void BaseClassWithoutParameterlessConstructor_IsUnsupported()
    {
        var diagnostic = Assert.Single(DiagnosticTests.Run("IG0017", DiagnosticSeverity.Error, out _,
            Net("[Conv(16)] public partial Conv Conv1 { get; }" + Head, "public sealed partial class [|Net|] : Base", prelude: "public abstract class Base { protected Base(int size) { } }")));
        DiagnosticTests.AssertMessage(diagnostic, "'Base'", "parameterless constructor");
    }

    [Fact]
    public void BaseClassWithOptionalParameters_Compiles()
        => Clean(Net("[Conv(16)] public partial Conv Conv1 { get; }" + Head, "public sealed partial class Net : Base", prelude: "public abstract class Base { protected Base(int size = 1) { } }"));

    [Fact]
    public void NetworkDerivedFromANetwork_IsUnsupported()
    {
        var result = GeneratorHarness.Run(
            Net("[Conv(16)] public partial Conv Conv1 { get; }" + Head, "public partial class Net : Other"),
            Net("[Conv(8)] public partial Conv Conv1 { get; }" + Head, "public partial class Other"));
        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("IG0017", diagnostic.Id);
        DiagnosticTests.AssertMessage(diagnostic, "network 'Other'");
        Assert.Equal(["Other.g.cs"], result.GeneratedSources.Keys);
    }

    // ---- diagnostics themselves ----------------------------------------------------------------

    [Fact]
    public void EveryDescriptor_HasAnAbsoluteHelpLink_AndErrorsCannotBeDowngraded()
    {
        foreach (var descriptor in DiagnosticDescriptors.All)
        {
            Assert.True(Uri.TryCreate(descriptor.HelpLinkUri, UriKind.Absolute, out var link) && link.Scheme == "https", descriptor.HelpLinkUri);
            Assert.EndsWith($"/docs/diagnostics/{descriptor.Id}.md", descriptor.HelpLinkUri);
            Assert.Equal(descriptor.DefaultSeverity == DiagnosticSeverity.Error, descriptor.CustomTags.Contains(WellKnownDiagnosticTags.NotConfigurable));
        }
    }

    [Fact]
    public void ErrorsStayErrors_WhenTheUserTurnsThemOff()
    {
        var source = Net("[Conv(0)] public partial Conv Conv1 { get; }" + Head);
        var compilation = GeneratorHarness.Compile(source);
        compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions([new("IG0004", ReportDiagnostic.Suppress)]));
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out _, out var diagnostics);
        var reported = Assert.Single(diagnostics);
        Assert.Equal("IG0004", reported.Id);
        Assert.Equal(DiagnosticSeverity.Error, reported.Severity);
    }

    /// <summary>Runs the generator; asserts no exception, no IG diagnostic, and a compilation without errors or warnings.</summary>
    internal static GeneratorResult Clean(params string[] sources)
    {
        var result = GeneratorHarness.Run(sources);
        Assert.Empty(result.Exceptions);
        Assert.True(result.GeneratorDiagnostics.IsEmpty, string.Join("\n", result.GeneratorDiagnostics.Select(DiagnosticTests.Describe)));
        Assert.NotEmpty(result.GeneratedSources);
        Assert.True(result.CompilationProblems.Count == 0, string.Join("\n", result.CompilationProblems.Take(5).Select(DiagnosticTests.Describe)));
        return result;
    }
}
