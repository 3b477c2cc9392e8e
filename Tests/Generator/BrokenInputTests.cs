using InceptionGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Xunit;

namespace InceptionGen.Tests.Generator;

/// <summary>
/// The generator runs on every keystroke, so it sees broken and half-typed code all the time. It must
/// never throw (Roslyn would report CS8785 and drop its output), never fail internally (IG0016), and
/// report only its own diagnostics, each pointing into the user's code; the compiler reports syntax
/// and binding errors itself.
/// </summary>
public sealed class BrokenInputTests
{
    private const string Layers = """
            [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
            [GlobalAveragePool] public partial Pool Pool { get; }
            [Linear(10)] public partial Linear Classifier { get; }
        """;

    private static readonly HashSet<string> s_ids = DiagnosticDescriptors.All.Select(descriptor => descriptor.Id).ToHashSet();

    public static TheoryData<string, string> BrokenDeclarations => new()
    {
        { "missing closing brace of the class", "using InceptionGen;\n[Network]\npublic partial class Net\n{\n" + Layers },
        { "missing closing brace of an accessor list", "using InceptionGen;\n[Network]\npublic partial class Net\n{\n    [Conv(16)] public partial Conv Conv1 { get;\n    [Linear(10)] public partial Linear Classifier { get; }\n}" },
        { "missing closing bracket and parenthesis", "using InceptionGen;\n[Network(Height = 32\npublic partial class Net\n{\n    [Conv(16, Kernel = 3 public partial Conv Conv1 { get; }\n}" },
        { "only an opening brace", "using InceptionGen;\n[Network] public partial class Net {" },
        { "attribute still being typed", "using InceptionGen;\n[Network]\npublic partial class Net\n{\n    [Conv(\n}" },
        { "attribute name only", "using InceptionGen;\n[Network]\npublic partial class Net\n{\n    [Conv] public partial Conv Conv1 { get; }\n}" },
        { "too few inception widths", "using InceptionGen;\n[Network]\npublic partial class Net\n{\n    [Inception(64, 96, 128)] public partial Inception Inception1 { get; }\n}" },
        { "float where an int is expected", "using InceptionGen;\n[Network]\npublic partial class Net\n{\n    [Conv(16, Kernel = 3.5f)] public partial Conv Conv1 { get; }\n" + Layers + "}" },
        { "empty network argument", "using InceptionGen;\n[Network(Height = )]\npublic partial class Net\n{\n" + Layers + "}" },
        { "network attribute with a constructor argument", "using InceptionGen;\n[Network(5)]\npublic partial class Net\n{\n" + Layers + "}" },
        { "two network attributes", "using InceptionGen;\n[Network][Network]\npublic partial class Net\n{\n" + Layers + "}" },
        { "circular base class", "using InceptionGen;\n[Network]\npublic partial class Net : Net\n{\n" + Layers + "}" },
        { "missing using", "[Network]\npublic partial class Net\n{\n" + Layers + "}" },
        { "layer with a setter", "using InceptionGen;\n[Network]\npublic partial class Net\n{\n    [Conv(16)] public partial Conv Conv1 { get; set; }\n}" },
        { "layer with an implementation written by hand", "using InceptionGen;\n[Network]\npublic partial class Net\n{\n" + Layers + "    public partial Conv Conv1 { get => null!; }\n}" },
        { "abstract layer", "using InceptionGen;\n[Network]\npublic abstract partial class Net\n{\n    [Conv(16)] public abstract Conv Conv1 { get; }\n}" },
        { "layer on an indexer", "using InceptionGen;\n[Network]\npublic partial class Net\n{\n    [Conv(16)] public partial Conv this[int i] { get; }\n}" },
        { "record struct", "using InceptionGen;\n[Network]\npublic partial record struct Net\n{\n" + Layers + "}" },
        { "interface", "using InceptionGen;\n[Network]\npublic partial interface INet\n{\n    [Conv(16)] Conv Conv1 { get; }\n}" },
        { "enum", "using InceptionGen;\n[Network]\npublic enum Net { A, B }" },
        { "network in a generic class", "using InceptionGen;\npublic partial class Outer<T>\n{\n    [Network]\n    public partial class Net\n    {\n" + Layers + "    }\n}" },
        { "layer attribute on a local function", "using InceptionGen;\n[Network]\npublic partial class Net\n{\n" + Layers + "    public void M() { [Conv(16)] void Local() { } }\n}" },
        { "garbage", "using InceptionGen; [Network] ]]] }}} partial class ((( [Conv(16 public partial Conv" },
    };

    [Theory]
    [MemberData(nameof(BrokenDeclarations))]
    public void BrokenDeclaration_NeverThrows(string name, string source)
    {
        var result = Survives(source);
        Assert.True(result.GeneratorDiagnostics.Length + result.Output.GetDiagnostics().Length > 0, $"'{name}' is broken, so someone should say so");
    }

    [Fact]
    public void EmptyFiles_ProduceNothing()
    {
        var result = Survives("", "   \n\n", "// nothing here", "using InceptionGen;");

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void AttributeArgumentOfWrongType_IsLeftToTheCompiler()
    {
        var result = Survives("using InceptionGen;\n[Network]\npublic partial class Net\n{\n    [Conv(1.5)] public partial Conv Conv1 { get; }\n" + Layers.Replace("Conv1", "Conv2") + "}");

        // The compiler says CS1503; reading the unbound argument as 0 channels and adding IG0004 would be wrong.
        Assert.Contains(result.Output.GetDiagnostics(), diagnostic => diagnostic.Id == "CS1503");
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void UnknownAttributeOption_IsLeftToTheCompiler()
    {
        var result = Survives("using InceptionGen;\n[Network]\npublic partial class Net\n{\n    [Conv(64, Kernle = 3)] public partial Conv Conv1 { get; }\n    [GlobalAveragePool] public partial Pool Pool { get; }\n}");

        Assert.Contains(result.Output.GetDiagnostics(), diagnostic => diagnostic.Id == "CS0246" && diagnostic.GetMessage().Contains("Kernle"));
        Assert.Empty(result.GeneratorDiagnostics);
    }

    [Fact]
    public void PropertyOfUnknownType_IsLeftToTheCompiler()
    {
        var result = Survives("using InceptionGen;\n[Network]\npublic partial class Net\n{\n    [Conv(16)] public partial Convv Conv1 { get; }\n" + Layers.Replace("Conv1", "Conv2") + "}");

        // No IG0003 'wrong type' for a type the compiler cannot find, and nothing generated until it binds.
        Assert.Contains(result.Output.GetDiagnostics(), diagnostic => diagnostic.Id == "CS0246" && diagnostic.GetMessage().Contains("Convv"));
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.GeneratedSources);
    }

    [Theory]
    [InlineData("[Conv(64)] public Conv Extra;")]
    [InlineData("[Conv(64)] public void Extra() { }")]
    public void LayerAttributeOnFieldOrMethod_IsLeftToTheCompiler_AndIsNoLayer(string member)
    {
        var result = Survives("using InceptionGen;\n[Network]\npublic partial class Net\n{\n    " + member + "\n" + Layers + "}");

        Assert.Contains(result.Output.GetDiagnostics(), diagnostic => diagnostic.Id == "CS0592");
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.DoesNotContain("Extra", Assert.Single(result.GeneratedSources).Value);
    }

    [Fact]
    public void NetworkOnStruct_IsLeftToTheCompiler()
    {
        var result = Survives("using InceptionGen;\n[Network]\npublic partial struct Net\n{\n" + Layers + "}");

        Assert.Contains(result.Output.GetDiagnostics(), diagnostic => diagnostic.Id == "CS0592");
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void NetworkOnRecord_IsUnsupported()
    {
        var result = Survives("using InceptionGen;\n[Network]\npublic partial record Net\n{\n" + Layers + "}");

        Assert.Equal("IG0017", Assert.Single(result.GeneratorDiagnostics).Id);
        Assert.Empty(result.GeneratedSources);
    }

    [Theory]
    [InlineData("partial class")]
    [InlineData("partial struct")]
    [InlineData("partial record")]
    [InlineData("partial interface")]
    public void NetworkNestedInPartialType_IsGeneratedAndCompiles(string outer)
    {
        var result = Survives("using InceptionGen;\nnamespace Zoo;\npublic " + outer + " Models\n{\n    [Network(Channels = 3, Height = 32, Width = 32)]\n    public sealed partial class Net\n    {\n" + Layers + "    }\n}");

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Contains("Zoo.Models.Net.g.cs", result.GeneratedSources.Keys);
        Assert.Empty(result.CompilationProblems.Select(DiagnosticTests.Describe));
    }

    [Fact]
    public void NetworkNestedInNetwork_BothAreGeneratedAndCompile()
    {
        var result = Survives("using InceptionGen;\n[Network]\npublic partial class Outer\n{\n" + Layers + "    [Network(Channels = 1, Height = 8, Width = 8)]\n    public partial class Inner\n    {\n" + Layers + "    }\n}");

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Equal(["Outer.Inner.g.cs", "Outer.g.cs"], result.GeneratedSources.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(result.CompilationProblems.Select(DiagnosticTests.Describe));
    }

    [Fact]
    public void NetworkNestedInNonPartialClass_IsUnsupported()
    {
        var result = Survives("using InceptionGen;\npublic class Models\n{\n    [Network]\n    public sealed partial class Net\n    {\n" + Layers + "    }\n}");

        Assert.Equal("IG0017", Assert.Single(result.GeneratorDiagnostics).Id);
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void PartialClassSpreadOverThreeFiles_IsGeneratedWithLayersInFileOrder_AndCompiles()
    {
        var result = Survives(
            "using InceptionGen;\n[Network(Channels = 3, Height = 32, Width = 32)]\npublic sealed partial class Net\n{\n    [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }\n}",
            "using InceptionGen;\npublic sealed partial class Net\n{\n    [GlobalAveragePool] public partial Pool Pool { get; }\n}",
            "using InceptionGen;\npublic sealed partial class Net\n{\n    [Linear(10)] public partial Linear Classifier { get; }\n}");

        Assert.Empty(result.GeneratorDiagnostics);
        var generated = Assert.Single(result.GeneratedSources).Value;
        var positions = new[] { " Conv1 =>", " Pool =>", " Classifier =>" }.Select(text => generated.IndexOf(text, StringComparison.Ordinal)).ToList();
        Assert.All(positions, position => Assert.True(position >= 0));
        Assert.Equal(positions.Order(), positions);
        Assert.Empty(result.CompilationProblems.Select(DiagnosticTests.Describe));
    }

    [Theory]
    [InlineData("[Conv(int.MaxValue, Kernel = int.MaxValue, Stride = int.MaxValue, Padding = int.MaxValue)] public partial Conv Huge { get; }")]
    [InlineData("[Conv(16, Padding = int.MaxValue)] public partial Conv Huge { get; }")]
    [InlineData("[Conv(64, Kernel = 100_000, Padding = 50_000)] public partial Conv Huge { get; }")]
    [InlineData("[MaxPool(int.MaxValue, Stride = 1, Padding = int.MaxValue, CeilMode = true)] public partial Pool Huge { get; }")]
    [InlineData("[AvgPool(2, Stride = int.MaxValue, CeilMode = true)] public partial Pool Huge { get; }")]
    [InlineData("[LocalResponseNorm(int.MaxValue, Alpha = float.MaxValue, Beta = float.NaN, K = float.Epsilon)] public partial Lrn Huge { get; }")]
    [InlineData("[Inception(2_000_000_000, 0, 0, 0, 0, 2_000_000_000)] public partial Inception Huge { get; }")]
    [InlineData("[Inception(16, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue)] public partial Inception Huge { get; }")]
    [InlineData("[AuxiliaryClassifier(int.MaxValue, ConvChannels = int.MaxValue, HiddenUnits = int.MaxValue, PoolKernel = 1, PoolStride = 1)] public partial AuxiliaryClassifier Huge { get; }")]
    [InlineData("[AuxiliaryClassifier(10, PoolKernel = int.MaxValue, PoolStride = int.MaxValue, LossWeight = float.PositiveInfinity, DropoutRate = float.NaN)] public partial AuxiliaryClassifier Huge { get; }")]
    [InlineData("[Flatten] public partial Flatten Flat { get; }\n[Linear(int.MaxValue)] public partial Linear Huge { get; }\n[Linear(int.MaxValue)] public partial Linear Huger { get; }")]
    [InlineData("[Dropout(float.NaN)] public partial Dropout Huge { get; }")]
    public void ExtremeOptionValues_NeverMakeTheGeneratorFail(string layer)
    {
        Survives("using InceptionGen;\n[Network(Channels = 16, Height = 64, Width = 64)]\npublic partial class Net\n{\n    [Conv(16)] public partial Conv Conv1 { get; }\n    " + layer + "\n}");
    }

    [Theory]
    [InlineData("Channels = int.MaxValue, Height = int.MaxValue, Width = int.MaxValue")]
    [InlineData("Channels = int.MinValue, Height = -1, Width = 0")]
    [InlineData("Channels = 1, Height = 65536, Width = 65536")]
    public void ExtremeInputShapes_NeverMakeTheGeneratorFail(string shape)
    {
        var result = Survives("using InceptionGen;\n[Network(" + shape + ")]\npublic partial class Net\n{\n" + Layers + "}");
        Assert.NotEmpty(result.GeneratorDiagnostics);
    }

    [Fact]
    public void EveryTruncationOfGoogLeNet_NeverThrows()
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "Definitions", "GoogLeNet.cs"));
        const int Cuts = 200;
        var generatedSomething = 0;
        for (var cut = 0; cut < Cuts; cut++)
        {
            var length = (int)((long)text.Length * cut / Cuts);
            var result = SurvivesIn($"truncated at {length} of {text.Length}", text[..length]);
            generatedSomething += result.GeneratedSources.Count;
        }

        // Truncating after the last layer still leaves a complete network (the compiler only misses braces).
        Assert.True(generatedSomething > 0, "some truncation should still generate the network");
    }

    /// <summary>Runs the generator and asserts that it survived: no exception, no IG0016, only its own diagnostics, each in the user's code.</summary>
    private static GeneratorResult Survives(params string[] sources) => SurvivesIn("", sources);

    private static GeneratorResult SurvivesIn(string context, params string[] sources)
    {
        var result = GeneratorHarness.Run(sources);
        var files = sources.Select((_, index) => $"Source{index}.cs").ToHashSet();

        Assert.True(result.Exceptions.Count == 0, $"{context}: the generator threw {string.Join("; ", result.Exceptions)}");
        foreach (var diagnostic in result.GeneratorDiagnostics)
        {
            var where = $"{context}: {diagnostic.Id} {diagnostic.GetMessage()}";
            Assert.True(diagnostic.Id != "CS8785", where);
            Assert.True(s_ids.Contains(diagnostic.Id), $"{where} is not an InceptionGen diagnostic");
            Assert.True(diagnostic.Id != DiagnosticDescriptors.GeneratorFailure.Id, where);
            Assert.True(files.Contains(diagnostic.Location.GetLineSpan().Path), $"{where} is not located in the user's code");
        }

        return result;
    }
}
