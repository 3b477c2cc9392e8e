using System.Reflection;
using InceptionGen.Generator;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Planning;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace InceptionGen.Tests.Generator;

/// <summary>
/// One test (or theory) per diagnostic ID. Each feeds a small declaration in which the expected
/// diagnostics are marked: <c>[|text|]</c> for the ID under test, <c>{|IG0004:text|}</c> for a given ID.
/// The generator must report exactly the marked diagnostics — same ID, same file, same span — and nothing
/// else, so a wrong location, a missing check or a cascade of diagnostics for one mistake all fail.
/// </summary>
public sealed class DiagnosticTests
{
    // ---- IG0001 .. IG0018 ---------------------------------------------------------------------

    [Fact]
    public void IG0001_NetworkNotPartial_IsReportedAtTheClassName()
    {
        var diagnostic = Single("IG0001", DiagnosticExamples.Bad("IG0001"));
        AssertMessage(diagnostic, "'TinyNet'", "'partial'");
    }

    [Fact]
    public void IG0002_LayerNotPartial_IsReportedAtTheAttribute()
    {
        var diagnostic = Single("IG0002", DiagnosticExamples.Bad("IG0002"));
        AssertMessage(diagnostic, "'Conv1'", "'public partial Conv Conv1 { get; }'");
    }

    [Theory]
    [InlineData("[[|MaxPool(2)|]] public partial Conv Pool1 { get; }", "'Pool1'", "[MaxPool]", "'Pool'", "'InceptionGen.Conv'")]
    [InlineData("[[|Conv(16)|]] public partial int Conv1 { get; }", "'Conv1'", "[Conv]", "'Conv'", "'int'")]
    public void IG0003_LayerOnPropertyOfWrongType_IsReportedAtTheAttribute(string layer, params string[] facts)
    {
        var diagnostic = Single("IG0003", Net(layer, Head));
        AssertMessage(diagnostic, facts);
    }

    [Fact]
    public void IG0003_Example()
        => AssertMessage(Single("IG0003", DiagnosticExamples.Bad("IG0003")), "'Pool1'", "[MaxPool]", "'Pool'", "'InceptionGen.Conv'");

    [Theory]
    [InlineData("[[|Conv(0, Kernel = 3, Padding = 1)|]] public partial Conv Conv1 { get; }", "OutChannels of 'Conv1'", "positive", "is 0")]
    [InlineData("[[|Conv(16, Kernel = 0)|]] public partial Conv Conv1 { get; }", "Kernel of 'Conv1'", "positive", "is 0")]
    [InlineData("[[|Conv(16, Stride = -2)|]] public partial Conv Conv1 { get; }", "Stride of 'Conv1'", "positive", "is -2")]
    [InlineData("[[|Conv(16, Padding = -1)|]] public partial Conv Conv1 { get; }", "Padding of 'Conv1'", "0 or more", "is -1")]
    [InlineData("[[|MaxPool(0)|]] public partial Pool Pool1 { get; }", "Kernel of 'Pool1'", "positive", "is 0")]
    [InlineData("[[|Inception(64, -1, 128, 16, 32, 32)|]] public partial Inception Inception1 { get; }", "#3x3 reduce of 'Inception1'", "0 or more", "is -1")]
    [InlineData("[[|AuxiliaryClassifier(10, HiddenUnits = -1)|]] public partial AuxiliaryClassifier Aux { get; }", "HiddenUnits of 'Aux'", "0 or more", "is -1")]
    [InlineData("[[|AuxiliaryClassifier(10, PoolOutput = -4)|]] public partial AuxiliaryClassifier Aux { get; }", "PoolOutput of 'Aux'", "0 or more", "is -4")]
    [InlineData("[[|AuxiliaryClassifier(10, SecondConvChannels = 8, SecondConvKernel = 0)|]] public partial AuxiliaryClassifier Aux { get; }", "SecondConvKernel of 'Aux'", "positive", "is 0")]
    public void IG0004_NonPositiveSize_IsReportedAtTheAttribute(string layer, params string[] facts)
    {
        var diagnostic = Single("IG0004", Net(layer, Head));
        AssertMessage(diagnostic, facts);
    }

    [Fact]
    public void IG0004_Example()
        => AssertMessage(Single("IG0004", DiagnosticExamples.Bad("IG0004")), "OutChannels of 'Conv1'", "is 0");

    [Theory]
    [InlineData("[[|Conv(16, KernelWidth = 0)|]] public partial Conv Conv1 { get; }", "KernelWidth of 'Conv1'", "positive", "is 0")]
    [InlineData("[[|Conv(16, KernelHeight = 3, StrideHeight = -1)|]] public partial Conv Conv1 { get; }", "StrideHeight of 'Conv1'", "positive", "is -1")]
    [InlineData("[[|MaxPool(KernelHeight = 3, PaddingWidth = -1)|]] public partial Pool Pool1 { get; }", "PaddingWidth of 'Pool1'", "0 or more", "is -1")]
    [InlineData("[[|AdaptiveAveragePool(0)|]] public partial Pool Pool1 { get; }", "Output of 'Pool1'", "positive", "is 0")]
    [InlineData("[[|AdaptiveAveragePool(OutputHeight = 4, OutputWidth = -2)|]] public partial Pool Pool1 { get; }", "OutputWidth of 'Pool1'", "positive", "is -2")]
    public void IG0004_BadPerDimensionSize_IsNamedByItsDimension(string layer, params string[] facts)
        => AssertMessage(Single("IG0004", Net(layer, Head)), facts);

    // ---- IG0025 .. IG0033: modules declared with the DSL (docs/modules.md) ---------------------

    [Fact]
    public void IG0025_Example()
        => AssertMessage(Single("IG0025", DiagnosticExamples.Bad("IG0025")), "'Mixed' (Reduction)", "16x17x17", "Branch3x3 8x8", "BranchPool 15x15");

    [Fact]
    public void IG0027_Example()
        => AssertMessage(Single("IG0027", DiagnosticExamples.Bad("IG0027")), "'Looping'", "Looping → Looping");

    [Fact]
    public void IG0028_Example()
        => AssertMessage(Single("IG0028", DiagnosticExamples.Bad("IG0028")), "'TinyModule.BranchPool'", "no layer");

    [Fact]
    public void IG0029_Example()
        => AssertMessage(Single("IG0029", DiagnosticExamples.Bad("IG0029")), "'TinyModule'", "'Channels'");

    [Fact]
    public void IG0030_Example()
        => AssertMessage(Single("IG0030", DiagnosticExamples.Bad("IG0030")), "'Channels'", "is 0");

    [Fact]
    public void IG0031_Example()
        => AssertMessage(Single("IG0031", DiagnosticExamples.Bad("IG0031")), "'TinyModule.Branch1x1'", "'Branch1x1'");

    [Fact]
    public void IG0032_Example()
        => AssertMessage(Single("IG0032", DiagnosticExamples.Bad("IG0032")), "[Dropout]", "'TinyModule.Branch1x1'");

    [Fact]
    public void IG0033_Example()
        => AssertMessage(Single("IG0033", DiagnosticExamples.Bad("IG0033")), "'Mixed'", "'mixed.branch.weight'");

    /// <summary>Module class <c>TinyModule</c> with <paramref name="branches"/>, <paramref name="extra"/> declarations, and a network using it as <paramref name="usage"/>.</summary>
    private static string ModuleNet(string branches, string usage, string extra = "")
        => "using InceptionGen;\n\n[InceptionModule]\npublic sealed class TinyModule : ModuleAttribute\n{\n" + branches + "\n}\n" + extra + "\n"
           + Net("[Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }\n" + usage + " public partial Module Mixed { get; }", Head).Replace("using InceptionGen;\n\n", "");

    [Fact]
    public void IG0012_TwoAttributesOfOneKindOnANetworkProperty_AreStillOneLayerTooMany()
        => AssertMessage(Single("IG0012", Net("[Conv(16)][[|Conv(32)|]] public partial Conv Conv1 { get; }", Head)), "'Conv1'", "[Conv], [Conv]");

    [Fact]
    public void IG0031_ChannelsFromAParameterOnANetworkLayer_IsReportedAtTheAttribute()
        => AssertMessage(Single("IG0031", Net("[[|Conv(\"Channels\", Kernel = 1)|]] public partial Conv Conv1 { get; }", Head)), "'Conv1'", "'Channels'", "not a module parameter");

    [Fact]
    public void IG0028_AModuleWithoutBranches_IsReportedAtItsUse()
        => AssertMessage(Single("IG0028", ModuleNet("    public int Channels { get; set; } = 16;", "[[|TinyModule|]]")), "Module 'TinyModule' has no branch");

    [Fact]
    public void IG0027_AModuleThatUsesItselfThroughAnother_IsReportedAtTheUseThatClosesTheLoop()
        => AssertMessage(Single("IG0027", ModuleNet("    [Conv(16, Kernel = 1)]\n    [Other]\n    public Branch Branch1 { get; }", "[TinyModule]",
                "[InceptionModule]\npublic sealed class Other : ModuleAttribute\n{\n    [[|TinyModule|]]\n    public Branch Branch1 { get; }\n}\n")),
            "TinyModule → Other → TinyModule");

    [Fact]
    public void IG0033_ANamedLayerMeetingAnotherLayer_IsReportedAtTheSecond()
        => AssertMessage(Single("IG0033", Net("[Conv(16, Kernel = 1, Name = \"conv2\")] public partial Conv Conv1 { get; }\n[[|Conv(16, Kernel = 1)|]] public partial Conv Conv2 { get; }", Head)),
            "'Conv2'", "'conv2.weight'", "'Conv1'");

    [Theory]
    [InlineData("[[|Conv(16, Name = \"1x1\")|]] public partial Conv Conv1 { get; }")]
    [InlineData("[[|Conv(16, Name = \"\")|]] public partial Conv Conv1 { get; }")]
    [InlineData("[[|Inception(16, 16, 16, 16, 16, 16, Name = \"mixed\")|]] public partial Inception Mixed { get; }")]
    public void IG0011_ANameThatCannotBeAWeightFileSegment_IsReportedAtTheAttribute(string layer)
        => AssertMessage(Single("IG0011", Net(layer, Head)), "Name of ");

    [Fact]
    public void ModuleDeclarations_WithNestingDefaultsAndNames_HaveNoDiagnostics_AndTheirTrainingCodeCompiles()
    {
        var result = GeneratorHarness.Run(ModuleNet(
            "    public int Channels { get; set; } = 16;\n    [Conv(nameof(Channels), Kernel = 1, BatchNorm = true, Name = \"b1\")]\n    public Branch Branch1 { get; }\n"
            + "    [Conv(16, Kernel = 1)]\n    [Half(Name = \"\")]\n    public Branch Branch2 { get; }\n    [AvgPool(3, Stride = 1, Padding = 1)]\n    public Branch Branch3 { get; }",
            "[TinyModule(Channels = 32, Name = \"Mixed_5b\")]",
            "[InceptionModule]\npublic sealed class Half : ModuleAttribute\n{\n    [Conv(16, KernelHeight = 1, KernelWidth = 3, PaddingWidth = 1, Name = \"b2a\")]\n    public Branch A { get; }\n"
            + "    [Conv(16, KernelHeight = 3, KernelWidth = 1, PaddingHeight = 1, Name = \"b2b\")]\n    public Branch B { get; }\n}\n"));

        Assert.Empty(result.Exceptions);
        Assert.Empty(result.GeneratorDiagnostics.Select(Describe));
        Assert.Contains("TinyNet.g.cs", result.GeneratedSources.Keys);
        Assert.Contains("\"Mixed_5b.b2a.weight\"", result.GeneratedSources["TinyNet.g.cs"]);
        Assert.Empty(result.CompilationProblems.Select(Describe));
    }

    [Fact]
    public void IG0024_Example()
        => AssertMessage(Single("IG0024", DiagnosticExamples.Bad("IG0024")), "'Branch7x1'", "Kernel = 3", "KernelHeight = 7");

    [Theory]
    [InlineData("[[|Conv(16, Kernel = 3, KernelWidth = 1)|]] public partial Conv Conv1 { get; }", "'Conv1'", "Kernel = 3", "KernelWidth = 1")]
    [InlineData("[[|Conv(16, Kernel = 3, Stride = 2, StrideHeight = 1)|]] public partial Conv Conv1 { get; }", "Stride = 2", "StrideHeight = 1")]
    [InlineData("[[|Conv(16, Kernel = 3, Padding = 1, PaddingWidth = 0)|]] public partial Conv Conv1 { get; }", "Padding = 1", "PaddingWidth = 0")]
    [InlineData("[[|MaxPool(3, KernelHeight = 1)|]] public partial Pool Pool1 { get; }", "'Pool1'", "Kernel = 3", "KernelHeight = 1")]
    [InlineData("[[|AvgPool(3, Stride = 1, StrideWidth = 2)|]] public partial Pool Pool1 { get; }", "'Pool1'", "Stride = 1", "StrideWidth = 2")]
    public void IG0024_SquareAndConflictingDimension_IsReportedAtTheAttribute(string layer, params string[] facts)
        => AssertMessage(Single("IG0024", Net(layer, Head)), facts);

    [Theory]
    [InlineData("[Conv(16, Kernel = 3, KernelHeight = 3, KernelWidth = 3, Padding = 1)] public partial Conv Conv1 { get; }")]
    [InlineData("[Conv(16, KernelHeight = 1, KernelWidth = 7, PaddingWidth = 3)] public partial Conv Conv1 { get; }")]
    [InlineData("[MaxPool(3, KernelHeight = 3, Stride = 2)] public partial Pool Pool1 { get; }")]
    [InlineData("[AvgPool(KernelHeight = 3, KernelWidth = 1, StrideHeight = 2)] public partial Pool Pool1 { get; }")]
    public void IG0024_AgreeingOrPerDimensionValues_AreAccepted_AndTheirTrainingCodeCompiles(string layer)
    {
        var result = GeneratorHarness.Run(Net(layer, Head));

        Assert.Empty(result.Exceptions);
        Assert.Empty(result.GeneratorDiagnostics.Select(Describe));
        Assert.Contains("TinyNet.g.cs", result.GeneratedSources.Keys);
        Assert.Empty(result.CompilationProblems.Select(Describe));
    }

    [Fact]
    public void IG0004_SeveralBadSizesInOneAttribute_AreEachReportedOnce()
    {
        var diagnostics = Run("IG0004", DiagnosticSeverity.Error, Net("[[|[|Conv(0, Kernel = 0)|]|]] public partial Conv Conv1 { get; }", Head));
        Assert.Equal(2, diagnostics.Count);
        AssertMessage(diagnostics[0], "OutChannels of 'Conv1'");
        AssertMessage(diagnostics[1], "Kernel of 'Conv1'");
    }

    [Fact]
    public void IG0004_NonPositiveInputSize_IsReportedAtTheClassName()
    {
        var diagnostic = Single("IG0004", Net("[Conv(16)] public partial Conv Conv1 { get; }" + Head, network: "Channels = 0, Height = 32, Width = 32", name: "[|TinyNet|]"));
        AssertMessage(diagnostic, "Channels of 'TinyNet'", "is 0");
    }

    [Fact]
    public void IG0005_EmptyOutput_ThreeByThreeMaxPoolOnOneByOneMap_IsReportedAtTheAttribute()
    {
        var diagnostic = Single("IG0005", DiagnosticExamples.Bad("IG0005"));
        AssertMessage(diagnostic, "'Pool1'", "max pool 3x3", "16x1x1", "0x0");
    }

    [Fact]
    public void IG0005_EmptyOutput_ConvolutionLargerThanItsInput()
    {
        var diagnostic = Single("IG0005", Net("[[|Conv(16, Kernel = 3)|]] public partial Conv Conv1 { get; }" + Head, network: "Channels = 3, Height = 2, Width = 2"));
        AssertMessage(diagnostic, "'Conv1'", "conv 3x3", "3x2x2", "0x0");
    }

    [Fact]
    public void IG0006_AuxiliaryClassifierWithNothingAbove_IsReportedAtTheAttribute()
    {
        var diagnostic = Single("IG0006", DiagnosticExamples.Bad("IG0006"));
        AssertMessage(diagnostic, "'Aux'", "no layer above it");
    }

    [Theory]
    [InlineData("[Conv(16)] public partial Conv Conv1 { get; }\n[GlobalAveragePool] public partial Pool Pool { get; }\n[Linear(10)] public partial Linear Classifier { get; }\n[[|AuxiliaryClassifier(10)|]] public partial AuxiliaryClassifier Aux { get; }", "'Aux'", "'Classifier'")]
    [InlineData("[Conv(16)] public partial Conv Conv1 { get; }\n[GlobalAveragePool] public partial Pool Pool { get; }\n[[|AuxiliaryClassifier(10)|]] public partial AuxiliaryClassifier Aux { get; }\n[Linear(10)] public partial Linear Classifier { get; }", "'Aux'", "'Pool'")]
    public void IG0007_AuxiliaryClassifierAfterTheMapWasReduced_IsReportedAtTheAttribute(string layers, params string[] facts)
    {
        var diagnostic = Single("IG0007", Net(layers));
        AssertMessage(diagnostic, facts);
    }

    [Fact]
    public void IG0007_Example()
        => AssertMessage(Single("IG0007", DiagnosticExamples.Bad("IG0007")), "'Aux'", "'Classifier'");

    [Fact]
    public void IG0008_LinearOnSpatialMap_SaysToAddGlobalAveragePoolOrFlatten()
    {
        var diagnostic = Single("IG0008", DiagnosticExamples.Bad("IG0008"));
        AssertMessage(diagnostic, "'Classifier'", "16x32x32", "'Conv1'", "[GlobalAveragePool]", "[Flatten]");
    }

    [Fact]
    public void IG0008_LinearOnTheInput()
    {
        var diagnostic = Single("IG0008", Net("[[|Linear(10)|]] public partial Linear Classifier { get; }"));
        AssertMessage(diagnostic, "'Classifier'", "3x32x32", "the input", "[GlobalAveragePool]");
    }

    [Fact]
    public void IG0009_DuplicateLayerNameInOneFile_IsReportedAtTheSecondAttribute()
    {
        var diagnostic = Single("IG0009", DiagnosticExamples.Bad("IG0009"));
        AssertMessage(diagnostic, "'Conv1'", "'TinyNet'");
    }

    [Fact]
    public void IG0009_DuplicateLayerNameAcrossPartialDeclarationsInTwoFiles_IsReportedAtTheSecondAttribute()
    {
        const string first = """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
            }
            """;
        const string second = """
            using InceptionGen;

            public sealed partial class TinyNet
            {
                [[|Conv(32, Kernel = 3, Padding = 1)|]] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """;

        var diagnostics = Run("IG0009", DiagnosticSeverity.Error, out var result, first, second);
        AssertMessage(Assert.Single(diagnostics), "'Conv1'", "'TinyNet'");

        // What Roslyn itself does: two symbols named Conv1, and CS0102 at the second declaration. The
        // generator's IG0009 says which layer and why; it does not replace the compiler's error.
        Assert.Contains(result.Output.GetDiagnostics(), diagnostic => diagnostic.Id == "CS0102" && diagnostic.Location.GetLineSpan().Path == "Source1.cs");
    }

    [Fact]
    public void IG0010_NetworkWithoutLayers_IsReportedAtTheClassName()
    {
        var diagnostic = Single("IG0010", DiagnosticExamples.Bad("IG0010"));
        AssertMessage(diagnostic, "'TinyNet'", "no layers");
    }

    [Fact]
    public void IG0010_PropertiesWithoutLayerAttributesAreNotLayers()
    {
        var diagnostic = Single("IG0010", Net("public int Classes { get; } = 10;\npublic Conv? Spare { get; }", name: "[|TinyNet|]"));
        AssertMessage(diagnostic, "'TinyNet'");
    }

    [Theory]
    [InlineData("[[|Dropout(1.5f)|]] public partial Dropout Dropout { get; }", "Rate of 'Dropout'", "1.5", "below 1")]
    [InlineData("[[|Dropout(-0.1f)|]] public partial Dropout Dropout { get; }", "Rate of 'Dropout'", "-0.1")]
    [InlineData("[[|LocalResponseNorm(4)|]] public partial Lrn Norm1 { get; }", "Size of 'Norm1'", "is 4", "odd")]
    [InlineData("[[|LocalResponseNorm(5, K = 0f)|]] public partial Lrn Norm1 { get; }", "K of 'Norm1'", "is 0", "> 0")]
    [InlineData("[[|AuxiliaryClassifier(10, LossWeight = -1f)|]] public partial AuxiliaryClassifier Aux { get; }", "LossWeight of 'Aux'", "is -1", "≥ 0")]
    [InlineData("[[|AuxiliaryClassifier(10, DropoutRate = 1f)|]] public partial AuxiliaryClassifier Aux { get; }", "DropoutRate of 'Aux'", "is 1", "below 1")]
    [InlineData("[[|AuxiliaryClassifier(10, Names = (AuxiliaryNames)7)|]] public partial AuxiliaryClassifier Aux { get; }", "Names of 'Aux'", "is 7", "AuxiliaryNames.Torchvision")]
    [InlineData("[[|AuxiliaryClassifier(10, BatchNorm = true, BatchNormEpsilon = 0)|]] public partial AuxiliaryClassifier Aux { get; }", "BatchNormEpsilon of 'Aux'", "is 0", "> 0")]
    [InlineData("[[|MaxPool(3, Stride = 2, Padding = 2)|]] public partial Pool Pool1 { get; }", "Padding of 'Pool1'", "is 2", "half the kernel (1)")]
    [InlineData("[[|AvgPool(2, Padding = 2)|]] public partial Pool Pool1 { get; }", "Padding of 'Pool1'", "is 2", "half the kernel (1)")]
    [InlineData("[[|BatchNorm(Epsilon = 0)|]] public partial BatchNormLayer Norm { get; }", "Epsilon of 'Norm'", "is 0", "> 0")]
    [InlineData("[[|BatchNorm(Epsilon = -1e-5)|]] public partial BatchNormLayer Norm { get; }", "Epsilon of 'Norm'", "is -1E-05", "> 0")]
    [InlineData("[[|BatchNorm(Epsilon = double.NaN)|]] public partial BatchNormLayer Norm { get; }", "Epsilon of 'Norm'", "NaN")]
    [InlineData("[[|BatchNorm(Momentum = 1.5)|]] public partial BatchNormLayer Norm { get; }", "Momentum of 'Norm'", "is 1.5", "[0, 1]")]
    [InlineData("[[|BatchNorm(Momentum = -0.1)|]] public partial BatchNormLayer Norm { get; }", "Momentum of 'Norm'", "is -0.1", "[0, 1]")]
    [InlineData("[[|Conv(8, BatchNorm = true, BatchNormEpsilon = 0)|]] public partial Conv Conv2 { get; }", "BatchNormEpsilon of 'Conv2'", "is 0", "> 0")]
    [InlineData("[[|Conv(8, BatchNorm = true, BatchNormMomentum = 2)|]] public partial Conv Conv2 { get; }", "BatchNormMomentum of 'Conv2'", "is 2", "[0, 1]")]
    [InlineData("[[|Conv(8, BatchNorm = true, Bias = true)|]] public partial Conv Conv2 { get; }", "Bias of 'Conv2'", "is true", "BasicConv2d", "remove Bias = true")]
    public void IG0011_InvalidOptionValue_IsReportedAtTheAttribute(string layer, params string[] facts)
    {
        var diagnostic = Single("IG0011", Net("[Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }\n" + layer, Head));
        AssertMessage(diagnostic, facts);
    }

    [Fact]
    public void IG0011_Example()
        => AssertMessage(Single("IG0011", DiagnosticExamples.Bad("IG0011")), "Rate of 'Dropout'", "1.5");

    [Fact]
    public void IG0012_TwoLayerAttributesOnOneProperty_IsReportedAtTheExtraAttribute()
    {
        var diagnostic = Single("IG0012", DiagnosticExamples.Bad("IG0012"));
        AssertMessage(diagnostic, "'Conv1'", "[Conv]", "[MaxPool]");
    }

    [Theory]
    [InlineData("[[|Inception(64, 96, 0, 16, 32, 32)|]] public partial Inception Inception1 { get; }", "'Inception1'", "#3x3 reduce is 96", "#3x3 is 0")]
    [InlineData("[[|Inception(64, 96, 128, 16, 0, 32)|]] public partial Inception Inception1 { get; }", "'Inception1'", "#5x5 reduce is 16", "#5x5 is 0")]
    public void IG0013_InvalidInceptionWidths_IsReportedAtTheAttribute(string layer, params string[] facts)
    {
        var diagnostic = Single("IG0013", Net("[Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }\n" + layer, Head));
        AssertMessage(diagnostic, facts);
    }

    [Fact]
    public void IG0013_Example()
        => AssertMessage(Single("IG0013", DiagnosticExamples.Bad("IG0013")), "'Inception1'", "96", "#3x3 is 0");

    [Fact]
    public void IG0014_ConvolutionAfterLinear_IsReportedAtTheAttribute()
    {
        var diagnostic = Single("IG0014", DiagnosticExamples.Bad("IG0014"));
        AssertMessage(diagnostic, "'Conv2'", "'Classifier'", "10x1x1");
    }

    [Fact]
    public void IG0014_BatchNormAfterLinear()
    {
        var diagnostic = Single("IG0014", Net("[Conv(16)] public partial Conv Conv1 { get; }\n[GlobalAveragePool] public partial Pool Pool1 { get; }\n[Linear(10)] public partial Linear Classifier { get; }\n[[|BatchNorm|]] public partial BatchNormLayer Norm { get; }"));
        AssertMessage(diagnostic, "'Norm'", "'Classifier'", "10x1x1");
    }

    [Fact]
    public void BatchNorm_values_of_a_convolution_are_not_checked_while_its_BatchNorm_option_is_off()
    {
        var result = GeneratorHarness.Run(Net("[Conv(8, BatchNormEpsilon = 0, BatchNormMomentum = 2)] public partial Conv Conv1 { get; }", Head));
        Assert.Empty(result.Exceptions);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.NotEmpty(result.GeneratedSources.Keys);
    }

    [Fact]
    public void IG0014_PoolAfterFlatten()
    {
        var diagnostic = Single("IG0014", Net("[Conv(16)] public partial Conv Conv1 { get; }\n[Flatten] public partial Flatten Flatten { get; }\n[[|MaxPool(2)|]] public partial Pool Pool1 { get; }"));
        AssertMessage(diagnostic, "'Pool1'", "'Flatten'", "16384x1x1");
    }

    [Fact]
    public void IG0015_BranchWidthNotMultipleOf16_IsInfo_AndCodeIsStillGeneratedAndCompiles()
    {
        var diagnostics = Run("IG0015", DiagnosticSeverity.Info, out var result, DiagnosticExamples.Bad("IG0015"));
        var diagnostic = Assert.Single(diagnostics);
        AssertMessage(diagnostic, "'Inception1.Branch1'", "24 channels", "padded to 32", "8 zero channels");
        Assert.Contains("TinyNet.g.cs", result.GeneratedSources.Keys);
        Assert.Empty(result.CompilationProblems);
    }

    [Fact]
    public void IG0016_GeneratorFailure_IsReportedAtTheClassName_WhenAStepThrows()
    {
        // No declaration should make the generator fail; to see what the user gets when a step does throw,
        // take a real parsed model, break it the way no parser output can (an inception layer without its
        // six widths), and plan it through the generator's own guarded step.
        var marked = MarkedSource.Parse(Net("[Inception(64, 96, 128, 16, 32, 32)] public partial Inception Inception1 { get; }" + Head, name: "{|IG0016:TinyNet|}"));
        var result = GeneratorHarness.Run(marked.Text);
        var model = (NetworkModel)Assert.Single(result.RunResult.Results.Single().TrackedSteps[InceptionGenerator.ParseStep].SelectMany(step => step.Outputs)).Value;
        var broken = model with
        {
            Layers = model.Layers.Select(layer => layer.Kind == LayerKind.Inception ? layer with { InceptionWidths = EquatableArray<int>.Empty } : layer).ToEquatableArray(),
        };
        var planSafely = typeof(InceptionGenerator).GetMethod("PlanSafely", BindingFlags.NonPublic | BindingFlags.Static);
        Assert.NotNull(planSafely);

        var plan = (NetworkPlan)planSafely.Invoke(null, [broken])!;

        var diagnostic = Assert.Single(plan.Diagnostics).ToDiagnostic();
        Assert.Equal("IG0016", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        AssertLocation(marked, 0, diagnostic);
        AssertMessage(diagnostic, "'TinyNet'", "planning", "IndexOutOfRangeException", "report");
    }

    [Theory]
    [InlineData("public sealed partial class [|TinyNet|]<T>", "'TinyNet'", "generic")]
    [InlineData("public sealed partial record [|TinyNet|]", "'TinyNet'", "record", "'partial class'")]
    [InlineData("public static partial class [|TinyNet|]", "'TinyNet'", "static")]
    [InlineData("file sealed partial class [|TinyNet|]", "'TinyNet'", "file-local", "'internal'")]
    public void IG0017_UnsupportedClassDeclaration_IsReportedAtTheClassName(string declaration, params string[] facts)
    {
        var source = $$"""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            {{declaration}}
            {
                [Conv(16)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """;
        AssertMessage(Single("IG0017", source), facts);
    }

    [Fact]
    public void IG0017_Example()
        => AssertMessage(Single("IG0017", DiagnosticExamples.Bad("IG0017")), "'TinyNet'", "generic");

    [Fact]
    public void IG0017_NetworkNestedInNonPartialClass_IsReportedAtTheNetworkName()
    {
        var diagnostic = Single("IG0017", """
            using InceptionGen;

            public class Models
            {
                [Network(Channels = 3, Height = 32, Width = 32)]
                public sealed partial class [|TinyNet|]
                {
                    [Conv(16)] public partial Conv Conv1 { get; }
                }
            }
            """);
        AssertMessage(diagnostic, "'TinyNet'", "'Models'", "partial");
    }

    [Fact]
    public void IG0017_LayerOnIndexer_IsReportedAtTheAttribute()
    {
        var diagnostic = Single("IG0017", Net("[[|Conv(16)|]] public partial Conv this[int index] { get; }" + Head));
        AssertMessage(diagnostic, "indexer", "named property");
    }

    [Theory]
    [InlineData("Forward")]
    [InlineData("Summary")]
    [InlineData("InputLength")]
    [InlineData("Parameters")]
    public void IG0019_LayerNamedLikeAGeneratedMember_IsReportedAtItsAttribute(string name)
    {
        var diagnostic = Single("IG0019", Net($"[[|Conv(16)|]] public partial Conv {name} {{ get; }}" + Head));
        Assert.Contains($"'{name}'", diagnostic.GetMessage());
    }

    [Fact]
    public void IG0018_HugeInput_IsReportedOnceAtTheClassName()
    {
        var diagnostic = Single("IG0018", DiagnosticExamples.Bad("IG0018"));
        AssertMessage(diagnostic, "The input", "'TinyNet'", "805306368", "134217727");
    }

    [Fact]
    public void IG0018_HugeTensor_IsReportedOnceAtTheLayerThatMakesIt()
    {
        var diagnostic = Single("IG0018", Net("[[|Conv(65_536)|]] public partial Conv Conv1 { get; }\n[Conv(16)] public partial Conv Conv2 { get; }" + Head, network: "Channels = 3, Height = 64, Width = 64"));
        AssertMessage(diagnostic, "'conv1'", "65536x64x64", "'TinyNet'", "268435456", "134217727");
    }

    [Fact]
    public void IG0018_HugeParameterBlock_IsReportedAtTheLayerThatOverflowsIt()
    {
        var diagnostic = Single("IG0018", Net("[Conv(60000)] public partial Conv Conv1 { get; }\n[[|Conv(60000, Kernel = 3, Padding = 1)|]] public partial Conv Conv2 { get; }" + Head,
            network: "Channels = 3, Height = 8, Width = 8"));
        AssertMessage(diagnostic, "parameter block", "'Conv2.Weights'", "32400240000");
    }

    [Fact]
    public void IG0018_HugeLinear_IsReportedNotAsAGeneratorFailure()
    {
        // Used to throw OverflowException in the parameter offset, which the user saw as IG0016.
        var diagnostic = Single("IG0018", Net("[Conv(16)] public partial Conv Conv1 { get; }\n[GlobalAveragePool] public partial Pool Pool { get; }\n[Linear(65_536)] public partial Linear Hidden { get; }\n[[|Linear(65_536)|]] public partial Linear Classifier { get; }"));
        AssertMessage(diagnostic, "parameter block", "'Classifier.Weights'");
    }

    // ---- every ID, and valid networks ---------------------------------------------------------

    public static TheoryData<string> ExampleIds => [.. DiagnosticExamples.ById.Keys];

    [Theory]
    [MemberData(nameof(ExampleIds))]
    public void EveryBadExample_ReportsExactlyItsMarkedDiagnostic(string id)
        => Run(id, DiagnosticDescriptors.ById(id).DefaultSeverity, DiagnosticExamples.Bad(id));

    [Theory]
    [MemberData(nameof(ExampleIds))]
    public void EveryFixedExample_HasNoDiagnostics_AndItsGeneratedCodeCompilesWithoutWarnings(string id)
    {
        var result = GeneratorHarness.Run(DiagnosticExamples.ById[id].Fixed);

        Assert.Empty(result.Exceptions);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Contains("TinyNet.g.cs", result.GeneratedSources.Keys);
        Assert.Empty(result.CompilationProblems.Select(Describe));
    }

    [Fact]
    public void GoogLeNet_HasNoDiagnostics_AndItsGeneratedCodeCompilesWithoutWarnings()
    {
        var result = GeneratorHarness.Run(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "Definitions", "GoogLeNet.cs")));

        Assert.Empty(result.Exceptions);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Contains("InceptionGen.Definitions.GoogLeNet.g.cs", result.GeneratedSources.Keys);
        Assert.Empty(result.CompilationProblems.Select(Describe));
    }

    [Fact]
    public void EveryDescriptorHasAnExample_ExceptGeneratorFailure()
    {
        var ids = DiagnosticDescriptors.All.Select(descriptor => descriptor.Id).Where(id => id != DiagnosticDescriptors.GeneratorFailure.Id);
        Assert.Equal(ids.Order(), DiagnosticExamples.ById.Keys.Order());
    }

    // ---- helpers ------------------------------------------------------------------------------

    /// <summary>The usual head after the layers under test: pool to a vector, then a 10-way classifier.</summary>
    private const string Head = "\n[GlobalAveragePool] public partial Pool Pool { get; }\n[Linear(10)] public partial Linear Classifier { get; }";

    /// <summary>A network declaration around <paramref name="layers"/> (one per line).</summary>
    private static string Net(string layers, string? head = null, string network = "Channels = 3, Height = 32, Width = 32", string name = "TinyNet")
    {
        var body = string.Join("\n", (layers + (head ?? "")).Split('\n').Select(line => "    " + line));
        return $"using InceptionGen;\n\n[Network({network})]\npublic sealed partial class {name}\n{{\n{body}\n}}\n";
    }

    /// <summary>Runs the generator and asserts that it reports exactly one diagnostic, the marked one; returns it.</summary>
    private static Diagnostic Single(string id, params string[] markedSources)
        => Assert.Single(Run(id, DiagnosticDescriptors.ById(id).DefaultSeverity, markedSources));

    private static IReadOnlyList<Diagnostic> Run(string id, DiagnosticSeverity severity, params string[] markedSources)
        => Run(id, severity, out _, markedSources);

    /// <summary>
    /// Runs the generator on the marked sources (file i is Source{i}.cs) and asserts that its diagnostics are
    /// exactly the marked ones: same ID, file and span, nothing more. Unnamed markers stand for <paramref name="id"/>,
    /// which must have <paramref name="severity"/>. When an error is reported, nothing may be generated.
    /// Returns the diagnostics of <paramref name="id"/> in source order.
    /// </summary>
    internal static IReadOnlyList<Diagnostic> Run(string id, DiagnosticSeverity severity, out GeneratorResult result, params string[] markedSources)
    {
        var marked = markedSources.Select(MarkedSource.Parse).ToArray();
        result = GeneratorHarness.Run(marked.Select(source => source.Text).ToArray());
        Assert.Empty(result.Exceptions);

        var texts = marked.Select(source => source.Text).ToArray();
        var expected = marked
            .SelectMany((source, file) => source.Spans.Select(span => Describe(span.Id ?? id, $"Source{file}.cs", span.Span, texts)))
            .Order(StringComparer.Ordinal)
            .ToList();
        var actual = result.GeneratorDiagnostics
            .Select(diagnostic => Describe(diagnostic.Id, diagnostic.Location.GetLineSpan().Path, diagnostic.Location.SourceSpan, texts))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(expected);
        Assert.True(expected.SequenceEqual(actual),
            $"Expected diagnostics:\n  {string.Join("\n  ", expected)}\nActual:\n  {string.Join("\n  ", result.GeneratorDiagnostics.Select(d => Describe(d, texts)))}");

        foreach (var diagnostic in result.GeneratorDiagnostics)
        {
            Assert.Equal(DiagnosticDescriptors.ById(diagnostic.Id).DefaultSeverity, diagnostic.Severity);
        }

        Assert.Contains(result.GeneratorDiagnostics, diagnostic => diagnostic.Id == id);
        Assert.All(result.GeneratorDiagnostics.Where(diagnostic => diagnostic.Id == id), diagnostic => Assert.Equal(severity, diagnostic.Severity));
        if (result.GeneratorDiagnostics.Any(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error))
        {
            Assert.Empty(result.GeneratedSources.Keys);
        }

        return result.GeneratorDiagnostics.Where(diagnostic => diagnostic.Id == id).OrderBy(diagnostic => diagnostic.Location.GetLineSpan().Path).ThenBy(diagnostic => diagnostic.Location.SourceSpan.Start).ToList();
    }

    internal static void AssertLocation(MarkedSource source, int file, Diagnostic diagnostic)
    {
        var span = Assert.Single(source.Spans).Span;
        Assert.Equal($"Source{file}.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(source.Text.Substring(span.Start, span.Length), source.Text.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Equal(span, diagnostic.Location.SourceSpan);
    }

    internal static void AssertMessage(Diagnostic diagnostic, params string[] facts)
    {
        var message = diagnostic.GetMessage();
        foreach (var fact in facts)
        {
            Assert.True(message.Contains(fact, StringComparison.Ordinal), $"The message of {diagnostic.Id} should contain \"{fact}\": {message}");
        }
    }

    private static string Describe(string id, string path, TextSpan span, string[] texts)
    {
        var file = path.StartsWith("Source", StringComparison.Ordinal) && int.TryParse(path.AsSpan(6, path.Length - 9), out var index) && index < texts.Length ? texts[index] : null;
        var text = file is not null && span.End <= file.Length ? file.Substring(span.Start, span.Length) : "?";
        return $"{id} {path}[{span.Start}..{span.End}) \"{text}\"";
    }

    private static string Describe(Diagnostic diagnostic, string[] texts)
        => Describe(diagnostic.Id, diagnostic.Location.GetLineSpan().Path, diagnostic.Location.SourceSpan, texts) + ": " + diagnostic.GetMessage();

    internal static string Describe(Diagnostic diagnostic) => $"{diagnostic.Id} {diagnostic.Location.GetLineSpan()}: {diagnostic.GetMessage()}";
}

/// <summary>
/// Source text with marked spans: <c>[|text|]</c> (the ID under test) or <c>{|IG0004:text|}</c> (a given ID).
/// Markers nest, for several diagnostics on one span.
/// </summary>
internal sealed record MarkedSource(string Text, IReadOnlyList<(string? Id, TextSpan Span)> Spans)
{
    public static MarkedSource Parse(string markup)
    {
        var text = new System.Text.StringBuilder();
        var spans = new List<(string? Id, TextSpan Span)>();
        var open = new Stack<(string? Id, int Start, char Close)>();
        for (var i = 0; i < markup.Length; i++)
        {
            if (Matches(markup, i, "[|"))
            {
                open.Push((null, text.Length, ']'));
                i++;
            }
            else if (Matches(markup, i, "{|"))
            {
                var colon = markup.IndexOf(':', i);
                Assert.True(colon > i + 2, $"A marker '{{|ID:' needs an ID at {i}");
                open.Push((markup.Substring(i + 2, colon - i - 2), text.Length, '}'));
                i = colon;
            }
            else if (Matches(markup, i, "|]") || Matches(markup, i, "|}"))
            {
                Assert.True(open.Count > 0, $"Closing marker without an opening one at {i}");
                var (id, start, close) = open.Pop();
                Assert.Equal(close, markup[i + 1]);
                spans.Add((id, TextSpan.FromBounds(start, text.Length)));
                i++;
            }
            else
            {
                text.Append(markup[i]);
            }
        }

        Assert.Empty(open);
        return new MarkedSource(text.ToString(), spans);
    }

    private static bool Matches(string text, int index, string token) => string.CompareOrdinal(text, index, token, 0, token.Length) == 0;
}

/// <summary>The repository root: the folder above the test binaries that holds InceptionGen.sln.</summary>
internal static class RepositoryRoot
{
    public static readonly string Path = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "InceptionGen.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No InceptionGen.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>
/// The bad and the fixed declaration of each diagnostic. The docs pages docs/diagnostics/IGxxxx.md show
/// exactly these, markers removed (<see cref="DiagnosticDocsTests"/> checks it), so every documented
/// example is tested: the bad one reports exactly the marked diagnostic, the fixed one nothing.
/// </summary>
internal static class DiagnosticExamples
{
    public sealed record Example(string Bad, string Fixed);

    public static string Bad(string id) => ById[id].Bad;

    public static readonly IReadOnlyDictionary<string, Example> ById = new SortedDictionary<string, Example>(StringComparer.Ordinal)
    {
        ["IG0001"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed class {|IG0001:TinyNet|}
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0002"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [{|IG0002:Conv(16, Kernel = 3, Padding = 1)|}] public Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0003"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [{|IG0003:MaxPool(2)|}] public partial Conv Pool1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [MaxPool(2)] public partial Pool Pool1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0004"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [{|IG0004:Conv(0, Kernel = 3, Padding = 1)|}] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0005"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 1, Width = 1)]
            public sealed partial class TinyNet
            {
                [Conv(16)] public partial Conv Conv1 { get; }
                [{|IG0005:MaxPool(3)|}] public partial Pool Pool1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 1, Width = 1)]
            public sealed partial class TinyNet
            {
                [Conv(16)] public partial Conv Conv1 { get; }
                [MaxPool(3, Stride = 1, Padding = 1)] public partial Pool Pool1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0006"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [{|IG0006:AuxiliaryClassifier(10)|}] public partial AuxiliaryClassifier Aux { get; }
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [AuxiliaryClassifier(10)] public partial AuxiliaryClassifier Aux { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0007"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
                [{|IG0007:AuxiliaryClassifier(10)|}] public partial AuxiliaryClassifier Aux { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [AuxiliaryClassifier(10)] public partial AuxiliaryClassifier Aux { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0008"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [{|IG0008:Linear(10)|}] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0009"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
            }

            public sealed partial class TinyNet
            {
                [{|IG0009:Conv(32, Kernel = 3, Padding = 1)|}] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
            }

            public sealed partial class TinyNet
            {
                [Conv(32, Kernel = 3, Padding = 1)] public partial Conv Conv2 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0010"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class {|IG0010:TinyNet|}
            {
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0011"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [{|IG0011:Dropout(1.5f)|}] public partial Dropout Dropout { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Dropout(0.5f)] public partial Dropout Dropout { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0012"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)][{|IG0012:MaxPool(2)|}] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [MaxPool(2)] public partial Pool Pool1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0013"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(64, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [{|IG0013:Inception(64, 96, 0, 16, 32, 32)|}] public partial Inception Inception1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(64, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [Inception(64, 96, 128, 16, 32, 32)] public partial Inception Inception1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0014"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
                [{|IG0014:Conv(16)|}] public partial Conv Conv2 { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [Conv(16)] public partial Conv Conv2 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0015"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(64, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [{|IG0015:Inception(24, 16, 32, 16, 32, 32)|}] public partial Inception Inception1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(64, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [Inception(32, 16, 32, 16, 32, 32)] public partial Inception Inception1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0017"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class {|IG0017:TinyNet|}<T>
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0019"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [{|IG0019:Conv(16, Kernel = 3, Padding = 1)|}] public partial Conv Forward { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv ForwardConv { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0020"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [{|IG0020:Conv(16, Kernel = 3, Padding = 1 << 30)|}] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0021"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [{|IG0021:Conv(16, Kernel = 3, Padding = 1)|}] public partial Conv Conv1 { get; set; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0022"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }

                public string {|IG0022:Summary|} => "a tiny network";
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 32, Width = 32)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }

                public string Description => "a tiny network";
            }
            """),

        ["IG0023"] = new("""
            using InceptionGen;

            [Network(Channels = 64, Height = 1, Width = 1)]
            public sealed partial class {|IG0023:TinyNet|}
            {
                [Linear(32, Relu = true)] public partial Linear Hidden { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 64, Height = 1, Width = 1)]
            public sealed partial class TinyNet
            {
                [Conv(32)] public partial Conv Hidden { get; }
                [Flatten] public partial Flatten Flat { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0024"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [{|IG0024:Conv(192, Kernel = 3, KernelHeight = 7, PaddingHeight = 3)|}] public partial Conv Branch7x1 { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(192, KernelHeight = 7, KernelWidth = 1, PaddingHeight = 3)] public partial Conv Branch7x1 { get; }
            }
            """),

        ["IG0025"] = new("""
            using InceptionGen;

            [InceptionModule]
            public sealed class Reduction : ModuleAttribute
            {
                [Conv(32, Kernel = 3, Stride = 2)]
                public Branch Branch3x3 { get; }

                [MaxPool(3, Stride = 1)]
                public Branch BranchPool { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [{|IG0025:Reduction|}] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [InceptionModule]
            public sealed class Reduction : ModuleAttribute
            {
                [Conv(32, Kernel = 3, Stride = 2)]
                public Branch Branch3x3 { get; }

                [MaxPool(3, Stride = 2)]
                public Branch BranchPool { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [Reduction] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0027"] = new("""
            using InceptionGen;

            [InceptionModule]
            public sealed class Looping : ModuleAttribute
            {
                [Conv(32, Kernel = 1)]
                [{|IG0027:Looping|}]
                public Branch Branch1x1 { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [Looping] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [InceptionModule]
            public sealed class Looping : ModuleAttribute
            {
                [Conv(32, Kernel = 1)]
                public Branch Branch1x1 { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [Looping] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0028"] = new("""
            using InceptionGen;

            [InceptionModule]
            public sealed class TinyModule : ModuleAttribute
            {
                [Conv(32, Kernel = 1)]
                public Branch Branch1x1 { get; }

                public Branch {|IG0028:BranchPool|} { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [TinyModule] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [InceptionModule]
            public sealed class TinyModule : ModuleAttribute
            {
                [Conv(32, Kernel = 1)]
                public Branch Branch1x1 { get; }

                [MaxPool(3, Stride = 1, Padding = 1)]
                public Branch BranchPool { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [TinyModule] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0029"] = new("""
            using InceptionGen;

            [InceptionModule]
            public sealed class TinyModule : ModuleAttribute
            {
                public int Channels { get; set; }

                [Conv(nameof(Channels), Kernel = 1)]
                public Branch Branch1x1 { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [{|IG0029:TinyModule|}] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [InceptionModule]
            public sealed class TinyModule : ModuleAttribute
            {
                public int Channels { get; set; }

                [Conv(nameof(Channels), Kernel = 1)]
                public Branch Branch1x1 { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [TinyModule(Channels = 32)] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0030"] = new("""
            using InceptionGen;

            [InceptionModule]
            public sealed class TinyModule : ModuleAttribute
            {
                public int Channels { get; set; }

                [Conv(nameof(Channels), Kernel = 1)]
                public Branch Branch1x1 { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [{|IG0030:TinyModule(Channels = 0)|}] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [InceptionModule]
            public sealed class TinyModule : ModuleAttribute
            {
                public int Channels { get; set; }

                [Conv(nameof(Channels), Kernel = 1)]
                public Branch Branch1x1 { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [TinyModule(Channels = 32)] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0031"] = new("""
            using InceptionGen;

            [InceptionModule]
            public sealed class TinyModule : ModuleAttribute
            {
                public int Channels { get; set; } = 32;

                [{|IG0031:Conv(nameof(Branch1x1), Kernel = 1)|}]
                public Branch Branch1x1 { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [TinyModule] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [InceptionModule]
            public sealed class TinyModule : ModuleAttribute
            {
                public int Channels { get; set; } = 32;

                [Conv(nameof(Channels), Kernel = 1)]
                public Branch Branch1x1 { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [TinyModule] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0032"] = new("""
            using InceptionGen;

            [InceptionModule]
            public sealed class TinyModule : ModuleAttribute
            {
                [Conv(32, Kernel = 1)]
                [{|IG0032:Dropout(0.5f)|}]
                public Branch Branch1x1 { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [TinyModule] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [InceptionModule]
            public sealed class TinyModule : ModuleAttribute
            {
                [Conv(32, Kernel = 1)]
                public Branch Branch1x1 { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [TinyModule] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0033"] = new("""
            using InceptionGen;

            [InceptionModule]
            public sealed class TinyModule : ModuleAttribute
            {
                [Conv(32, Kernel = 1, Name = "branch")]
                public Branch Branch1x1 { get; }

                [Conv(32, Kernel = 3, Padding = 1, Name = "branch")]
                public Branch Branch3x3 { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [{|IG0033:TinyModule|}] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [InceptionModule]
            public sealed class TinyModule : ModuleAttribute
            {
                [Conv(32, Kernel = 1, Name = "branch1x1")]
                public Branch Branch1x1 { get; }

                [Conv(32, Kernel = 3, Padding = 1, Name = "branch3x3")]
                public Branch Branch3x3 { get; }
            }

            [Network(Channels = 3, Height = 17, Width = 17)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Stem { get; }
                [TinyModule] public partial Module Mixed { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),

        ["IG0018"] = new("""
            using InceptionGen;

            [Network(Channels = 3, Height = 16_384, Width = 16_384)]
            public sealed partial class {|IG0018:TinyNet|}
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """, """
            using InceptionGen;

            [Network(Channels = 3, Height = 224, Width = 224)]
            public sealed partial class TinyNet
            {
                [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
                [GlobalAveragePool] public partial Pool Pool { get; }
                [Linear(10)] public partial Linear Classifier { get; }
            }
            """),
    };
}
