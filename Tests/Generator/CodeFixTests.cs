using System.Collections.Immutable;
using InceptionGen.CodeFixes;
using InceptionGen.Generator;
using InceptionGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace InceptionGen.Tests.Generator;

/// <summary>
/// The code fixes (CodeFixes/) on the generator's own diagnostics, with Microsoft.CodeAnalysis.Testing: each test
/// gives the code before (diagnostics marked <c>{|IGxxxx:...|}</c>) and after, and the framework runs the generator,
/// checks the marked diagnostics, applies the fix (one at a time, then fix-all in document, project and solution
/// where the fixer has one) and checks the result's text and that the generator reports nothing on it. Each result
/// is also compiled with its generated code.
/// </summary>
public sealed class CodeFixTests
{
    /// <summary>Every ID with a mechanical fix, and the only ones the fixers claim.</summary>
    private static readonly string[] s_fixableIds = ["IG0001", "IG0002", "IG0003", "IG0008", "IG0009", "IG0019", "IG0021"];

    private static readonly CodeFixProvider[] s_fixers =
        [new NetworkPartialFixer(), new LayerDeclarationFixer(), new LayerTypeFixer(), new LinearInputFixer(), new LayerRenameFixer()];

    public static TheoryData<string> FixableIds => [.. s_fixableIds];

    public static TheoryData<string> IdsWithoutAFix
        => [.. DiagnosticExamples.ById.Keys.Where(id => !s_fixableIds.Contains(id))];

    // ---- each documented example: the fix turns the page's Bad example into its Fixed one --------------------------

    [Theory]
    [MemberData(nameof(FixableIds))]
    public async Task TheFix_TurnsTheDocumentedBadExample_IntoTheFixedOne(string id)
    {
        var example = DiagnosticExamples.ById[id];
        await Verify(FixerFor(id), [example.Bad], [example.Fixed], equivalenceKey: id == "IG0008" ? LinearInputFixer.GlobalAveragePoolKey : null);
    }

    // ---- IG0001 ---------------------------------------------------------------------------------------------------

    [Fact]
    public async Task IG0001_WithoutModifiers_PartialTakesTheKeywordsPlace()
        => await Verify(new NetworkPartialFixer(),
            [Network("[Network(Channels = 3, Height = 32, Width = 32)]\nclass {|IG0001:TinyNet|}")],
            [Network("[Network(Channels = 3, Height = 32, Width = 32)]\npartial class TinyNet")]);

    [Fact]
    public async Task IG0001_ClassSplitOverTwoFiles_EveryPartWithoutPartialGetsIt()
        => await Verify(new NetworkPartialFixer(),
            [
                "using InceptionGen;\n\n[Network(Channels = 3, Height = 32, Width = 32)]\npublic sealed partial class {|IG0001:TinyNet|}\n{\n    [Conv(16)] public partial Conv Conv1 { get; }\n}\n",
                "using InceptionGen;\n\npublic sealed class TinyNet\n{\n    [GlobalAveragePool] public partial Pool Pool { get; }\n    [Linear(10)] public partial Linear Classifier { get; }\n}\n",
            ],
            [
                "using InceptionGen;\n\n[Network(Channels = 3, Height = 32, Width = 32)]\npublic sealed partial class TinyNet\n{\n    [Conv(16)] public partial Conv Conv1 { get; }\n}\n",
                "using InceptionGen;\n\npublic sealed partial class TinyNet\n{\n    [GlobalAveragePool] public partial Pool Pool { get; }\n    [Linear(10)] public partial Linear Classifier { get; }\n}\n",
            ]);

    [Fact]
    public async Task IG0001_FixAll_MakesTwoNetworksInTwoFilesPartial()
        => await Verify(new NetworkPartialFixer(),
            [Network("[Network(Channels = 3, Height = 32, Width = 32)]\npublic class {|IG0001:TinyNet|}"), Network("[Network(Channels = 1, Height = 28, Width = 28)]\ninternal sealed class {|IG0001:OtherNet|}")],
            [Network("[Network(Channels = 3, Height = 32, Width = 32)]\npublic partial class TinyNet"), Network("[Network(Channels = 1, Height = 28, Width = 28)]\ninternal sealed partial class OtherNet")]);

    // ---- IG0002 and IG0021 ----------------------------------------------------------------------------------------

    [Fact]
    public async Task IG0002_AnAutoPropertyWithSetterAndInitializer_BecomesAPartialGetter()
        => await Verify(new LayerDeclarationFixer(),
            [Layers("[{|IG0002:Conv(16)|}] public Conv Conv1 { get; set; } = null!;")],
            [Layers("[Conv(16)] public partial Conv Conv1 { get; }")]);

    [Fact]
    public async Task IG0002_AnExpressionBody_BecomesAPartialGetter()
        => await Verify(new LayerDeclarationFixer(),
            [Layers("[{|IG0002:Conv(16)|}] internal Conv Conv1 => null!;")],
            [Layers("[Conv(16)] public partial Conv Conv1 { get; }")]);

    [Fact]
    public async Task IG0021_SeveralMismatchesOnOneLayer_AreFixedByOneEdit_KeepingTheLayout()
        => await Verify(new LayerDeclarationFixer(),
            [Layers("/// <summary>The stem.</summary>\n    [{|IG0021:{|IG0021:{|IG0021:{|IG0021:Conv(16)|}|}|}|}]\n    internal virtual partial Conv Conv1\n    {\n        private get;\n        set;\n    }")],
            [Layers("/// <summary>The stem.</summary>\n    [Conv(16)]\n    public partial Conv Conv1\n    {\n        get;\n    }")],
            iterations: 1);

    [Fact]
    public async Task IG0021_AHandWrittenImplementationPart_IsRemoved()
        => await Verify(new LayerDeclarationFixer(),
            [Layers("[{|IG0021:Conv(16)|}] public partial Conv Conv1 { get; }\n    public partial Conv Conv1 { get => throw null!; }")],
            [Layers("[Conv(16)] public partial Conv Conv1 { get; }")]);

    [Fact]
    public async Task IG0021_FixAll_FixesEveryLayerOfTheDocument()
        => await Verify(new LayerDeclarationFixer(),
            [Network("[Network(Channels = 3, Height = 32, Width = 32)]\npublic sealed partial class TinyNet",
                "[{|IG0021:Conv(16)|}] public partial Conv Conv1 { get; init; }\n    [{|IG0021:GlobalAveragePool|}] public required partial Pool Pool { get; }\n    [Linear(10)] public partial Linear Classifier { get; }")],
            [Network("[Network(Channels = 3, Height = 32, Width = 32)]\npublic sealed partial class TinyNet",
                "[Conv(16)] public partial Conv Conv1 { get; }\n    [GlobalAveragePool] public partial Pool Pool { get; }\n    [Linear(10)] public partial Linear Classifier { get; }")]);

    // ---- IG0003 ---------------------------------------------------------------------------------------------------

    [Fact]
    public async Task IG0003_ANullableType_BecomesTheRequiredOne()
        => await Verify(new LayerTypeFixer(),
            [Layers("[Conv(16)] public partial Conv Conv1 { get; }\n    [{|IG0003:MaxPool(2)|}] public partial Conv? Pool1 { get; }")],
            [Layers("[Conv(16)] public partial Conv Conv1 { get; }\n    [MaxPool(2)] public partial Pool Pool1 { get; }")]);

    [Fact]
    public async Task IG0003_WithoutAUsing_TheTypeIsQualified()
        => await Verify(new LayerTypeFixer(),
            ["[InceptionGen.Network(Channels = 3, Height = 32, Width = 32)]\npublic sealed partial class TinyNet\n{\n    [{|IG0003:InceptionGen.Conv(16)|}] public partial InceptionGen.Pool Conv1 { get; }\n    [InceptionGen.GlobalAveragePool] public partial InceptionGen.Pool Pool { get; }\n    [InceptionGen.Linear(10)] public partial InceptionGen.Linear Classifier { get; }\n}\n"],
            ["[InceptionGen.Network(Channels = 3, Height = 32, Width = 32)]\npublic sealed partial class TinyNet\n{\n    [InceptionGen.Conv(16)] public partial InceptionGen.Conv Conv1 { get; }\n    [InceptionGen.GlobalAveragePool] public partial InceptionGen.Pool Pool { get; }\n    [InceptionGen.Linear(10)] public partial InceptionGen.Linear Classifier { get; }\n}\n"]);

    // ---- IG0008 ---------------------------------------------------------------------------------------------------

    [Fact]
    public async Task IG0008_Flatten_IsTheSecondFix()
        => await Verify(new LinearInputFixer(),
            [Layers("[Conv(16)] public partial Conv Conv1 { get; }\n    [{|IG0008:Linear(10)|}] public partial Linear Classifier { get; }", head: false)],
            [Layers("[Conv(16)] public partial Conv Conv1 { get; }\n    [Flatten] public partial Flatten Flatten { get; }\n    [Linear(10)] public partial Linear Classifier { get; }", head: false)],
            equivalenceKey: LinearInputFixer.FlattenKey);

    [Fact]
    public async Task IG0008_TheNewLayer_TakesAFreeName_AndTheLinearsLayout_AndLeavesItsCommentOnIt()
        => await Verify(new LinearInputFixer(),
            [Layers("[Conv(16)]\n    public partial Conv Conv1 { get; }\n\n    // The classifier.\n    [{|IG0008:Linear(10)|}]\n    public partial Linear Classifier { get; }\n\n    public int Pool => 1;", head: false)],
            [Layers("[Conv(16)]\n    public partial Conv Conv1 { get; }\n    [GlobalAveragePool]\n    public partial Pool Pool2 { get; }\n\n    // The classifier.\n    [Linear(10)]\n    public partial Linear Classifier { get; }\n\n    public int Pool => 1;", head: false)],
            equivalenceKey: LinearInputFixer.GlobalAveragePoolKey);

    [Fact]
    public async Task IG0008_FixAll_AddsAPoolToEveryNetwork()
        => await Verify(new LinearInputFixer(),
            [Network("[Network(Channels = 3, Height = 32, Width = 32)]\npublic sealed partial class TinyNet", "[Conv(16)] public partial Conv Conv1 { get; }\n    [{|IG0008:Linear(10)|}] public partial Linear Classifier { get; }"),
                Network("[Network(Channels = 1, Height = 8, Width = 8)]\npublic sealed partial class OtherNet", "[{|IG0008:Linear(10)|}] public partial Linear Classifier { get; }")],
            [Network("[Network(Channels = 3, Height = 32, Width = 32)]\npublic sealed partial class TinyNet", "[Conv(16)] public partial Conv Conv1 { get; }\n    [GlobalAveragePool] public partial Pool Pool { get; }\n    [Linear(10)] public partial Linear Classifier { get; }"),
                Network("[Network(Channels = 1, Height = 8, Width = 8)]\npublic sealed partial class OtherNet", "[GlobalAveragePool] public partial Pool Pool { get; }\n    [Linear(10)] public partial Linear Classifier { get; }")],
            equivalenceKey: LinearInputFixer.GlobalAveragePoolKey);

    // ---- IG0009 and IG0019 ----------------------------------------------------------------------------------------

    [Fact]
    public async Task IG0009_TheSecondDeclaration_TakesTheNextFreeNumber()
        => await Verify(new LayerRenameFixer(),
            [Layers("[Conv(16)] public partial Conv Conv1 { get; }\n    [Conv(16)] public partial Conv Conv2 { get; }\n    [{|IG0009:Conv(16)|}] public partial Conv Conv1 { get; }")],
            [Layers("[Conv(16)] public partial Conv Conv1 { get; }\n    [Conv(16)] public partial Conv Conv2 { get; }\n    [Conv(16)] public partial Conv Conv3 { get; }")]);

    [Fact]
    public async Task IG0019_TheLayerAndItsReferences_AreRenamed()
        => await Verify(new LayerRenameFixer(),
            [Layers("[{|IG0019:Conv(16)|}] public partial Conv Summary { get; }\n    public Conv First => Summary;")],
            [Layers("[Conv(16)] public partial Conv SummaryConv { get; }\n    public Conv First => SummaryConv;")]);

    [Fact]
    public async Task IG0019_AReservedPrefix_IsDropped()
        => await Verify(new LayerRenameFixer(),
            [Layers("[{|IG0019:Conv(16)|}] public partial Conv __Stem { get; }")],
            [Layers("[Conv(16)] public partial Conv Stem { get; }")]);

    [Fact]
    public async Task IG0019_WhenTheNameWithItsTypeIsTaken_ItIsNumbered()
        => await Verify(new LayerRenameFixer(),
            [Layers("[{|IG0019:Conv(16)|}] public partial Conv Forward { get; }\n    public int ForwardConv => 1;")],
            [Layers("[Conv(16)] public partial Conv ForwardConv2 { get; }\n    public int ForwardConv => 1;")]);

    // ---- where nothing is offered ---------------------------------------------------------------------------------

    [Fact]
    public void TheFixers_ClaimExactlyTheIdsWithAMechanicalFix()
    {
        var claimed = s_fixers.SelectMany(fixer => fixer.FixableDiagnosticIds).ToList();

        Assert.Equal(s_fixableIds, claimed.Order());
        Assert.All(claimed, id => Assert.Contains(id, DiagnosticDescriptors.All.Select(descriptor => descriptor.Id)));
    }

    [Theory]
    [MemberData(nameof(IdsWithoutAFix))]
    public async Task TheBadExamplesOfTheOtherIds_GetNoFix(string id)
    {
        var offered = await OfferedFixes(MarkedSource.Parse(DiagnosticExamples.Bad(id)).Text);

        Assert.Contains(offered, fix => fix.Id == id);
        Assert.All(offered, fix => Assert.Null(fix.Title));
    }

    [Fact]
    public async Task IG0003_WithoutTheLayerTypeProperty_GetsNoFix()
    {
        // As an IG0003 from a generator without the property would arrive: the fixer does not guess the type.
        var source = MarkedSource.Parse(DiagnosticExamples.Bad("IG0003")).Text;
        var offered = await OfferedFixes(source, diagnostic => Diagnostic.Create(DiagnosticDescriptors.LayerWrongType, diagnostic.Location, "Pool1", "MaxPool", "Pool", "Conv"));

        Assert.Equal(new List<(string, string?)> { ("IG0003", null) }, offered);
    }

    [Theory]
    [MemberData(nameof(FixableIds))]
    public async Task ADiagnosticThatNoLongerPointsAtItsDeclaration_GetsNoFix(string id)
    {
        // A diagnostic from the last build, after an edit moved the declaration: it now points at the using directive.
        var source = MarkedSource.Parse(DiagnosticExamples.Bad(id)).Text;
        var offered = await OfferedFixes(source, diagnostic => Diagnostic.Create(DiagnosticDescriptors.ById(id),
            Location.Create(diagnostic.Location.SourceTree!, new TextSpan(0, "using InceptionGen;".Length)), diagnostic.Properties, "x", "y", "z", "w"));

        Assert.NotEmpty(offered);
        Assert.All(offered, fix => Assert.Null(fix.Title));
    }

    [Theory]
    [MemberData(nameof(FixableIds))]
    public async Task EachFixableBadExample_GetsExactlyItsFixes(string id)
    {
        var offered = await OfferedFixes(MarkedSource.Parse(DiagnosticExamples.Bad(id)).Text);

        var titles = offered.Where(fix => fix.Id == id).Select(fix => fix.Title).ToList();
        Assert.Equal(id == "IG0008" ? 2 : 1, titles.Count);
        Assert.All(titles, Assert.NotNull);
    }

    // ---- docs ------------------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(FixableIds))]
    public async Task EachFixablePage_NamesTheFixesOfferedOnItsBadExample(string id)
    {
        var page = Page(id);
        var titles = (await OfferedFixes(MarkedSource.Parse(DiagnosticExamples.Bad(id)).Text)).Where(fix => fix.Id == id).Select(fix => fix.Title).ToList();

        Assert.NotEmpty(titles);
        Assert.All(titles, title => Assert.Contains($"*{title}*", page));
    }

    [Theory]
    [MemberData(nameof(IdsWithoutAFix))]
    public void ThePagesOfTheOtherIds_PromiseNoFix(string id)
        => Assert.DoesNotContain("**Code fix", Page(id));

    /// <summary>A docs page with its lines joined, so that a title wrapped over two lines is found.</summary>
    private static string Page(string id)
        => string.Join(" ", File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "docs", "diagnostics", id + ".md")).Select(line => line.Trim()));

    // ---- harness --------------------------------------------------------------------------------------------------

    private static CodeFixProvider FixerFor(string id) => s_fixers.Single(fixer => fixer.FixableDiagnosticIds.Contains(id));

    private const string Usings = "using InceptionGen;\n\n";

    /// <summary>The usual head and tail of a network whose middle is <paramref name="layers"/>.</summary>
    private const string Head = "[GlobalAveragePool] public partial Pool Pool { get; }\n    [Linear(10)] public partial Linear Classifier { get; }";

    private static string Network(string declaration, string layers = "[Conv(16)] public partial Conv Conv1 { get; }\n    " + Head)
        => $"{Usings}{declaration}\n{{\n    {layers}\n}}\n";

    /// <summary>TinyNet with <paramref name="layers"/>, then the pool and classifier unless <paramref name="head"/> is false.</summary>
    private static string Layers(string layers, bool head = true)
        => Network("[Network(Channels = 3, Height = 32, Width = 32)]\npublic sealed partial class TinyNet", head ? layers + "\n    " + Head : layers);

    /// <summary>
    /// Runs the framework's check: the generator reports exactly the marked diagnostics on <paramref name="before"/>,
    /// the fix (of <paramref name="equivalenceKey"/>, or the only one) gives <paramref name="after"/>, on which the
    /// generator reports nothing; then compiles <paramref name="after"/> with its generated code.
    /// </summary>
    private static async Task Verify(CodeFixProvider fixer, string[] before, string[] after, string? equivalenceKey = null, int? iterations = null)
    {
        var test = new GeneratorFixTest(fixer) { CodeActionEquivalenceKey = equivalenceKey };
        if (iterations is { } count)
        {
            test.NumberOfIncrementalIterations = count;
            test.NumberOfFixAllIterations = count;
        }

        for (var index = 0; index < before.Length; index++)
        {
            var path = $"/0/Test{index}.cs";
            var marked = MarkedSource.Parse(before[index]);
            test.TestState.Sources.Add((path, marked.Text));
            var text = SourceText.From(marked.Text);
            foreach (var (id, span) in marked.Spans)
            {
                var lines = text.Lines.GetLinePositionSpan(span);
                test.TestState.ExpectedDiagnostics.Add(DiagnosticResult.CompilerError(id!)
                    .WithSpan(path, lines.Start.Line + 1, lines.Start.Character + 1, lines.End.Line + 1, lines.End.Character + 1));
            }

            test.FixedState.Sources.Add((path, after[index]));
        }

        await test.RunAsync(TestContext.Current.CancellationToken);

        var result = GeneratorHarness.Run(after);
        Assert.Empty(result.GeneratorDiagnostics.Select(DiagnosticTests.Describe));
        Assert.NotEmpty(result.GeneratedSources);
        Assert.Empty(result.CompilationProblems.Where(problem => problem.Severity == DiagnosticSeverity.Error).Select(DiagnosticTests.Describe));
    }

    /// <summary>
    /// The generator's diagnostics on <paramref name="source"/> (passed through <paramref name="change"/>), each with the
    /// title of every fix any fixer offers for it, or with a null title when none does.
    /// </summary>
    private static async Task<List<(string Id, string? Title)>> OfferedFixes(string source, Func<Diagnostic, Diagnostic>? change = null)
    {
        using var workspace = new AdhocWorkspace();
        var project = workspace.CurrentSolution
            .AddProject("Test", "Test", LanguageNames.CSharp)
            .WithParseOptions(GeneratorHarness.ParseOptions)
            .WithCompilationOptions(new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary))
            .AddMetadataReferences(GeneratorHarness.References);
        var document = project.AddDocument("Source0.cs", source);
        var compilation = (await document.Project.GetCompilationAsync(TestContext.Current.CancellationToken))!;
        Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create([new InceptionGenerator().AsSourceGenerator()], parseOptions: GeneratorHarness.ParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out _, out var diagnostics, TestContext.Current.CancellationToken);

        var offered = new List<(string Id, string? Title)>();
        var tree = (await document.GetSyntaxTreeAsync(TestContext.Current.CancellationToken))!;
        foreach (var found in diagnostics.Select(diagnostic => GeneratorDiagnosticsAnalyzer.InDocument(diagnostic, [tree])))
        {
            var diagnostic = change?.Invoke(found) ?? found;
            var titles = new List<string>();
            foreach (var fixer in s_fixers.Where(fixer => fixer.FixableDiagnosticIds.Contains(diagnostic.Id)))
            {
                var context = new CodeFixContext(document, diagnostic, (action, _) => titles.Add(action.Title), TestContext.Current.CancellationToken);
                await fixer.RegisterCodeFixesAsync(context);
            }

            offered.AddRange(titles.Count == 0 ? [(diagnostic.Id, null)] : titles.Select(title => (diagnostic.Id, (string?)title)));
        }

        return offered;
    }

    /// <summary>
    /// A code-fix test on the generator's diagnostics (through <see cref="GeneratorDiagnosticsAnalyzer"/>), against the
    /// same references as <see cref="GeneratorHarness"/>.
    /// </summary>
    private sealed class GeneratorFixTest : CSharpCodeFixTest<GeneratorDiagnosticsAnalyzer, EmptyCodeFixProvider, DefaultVerifier>
    {
        private readonly CodeFixProvider _fixer;

        public GeneratorFixTest(CodeFixProvider fixer)
        {
            _fixer = fixer;
            // No reference package to download: the .NET 10 reference assemblies and the runtime come as references.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0");
            TestState.AdditionalReferences.AddRange(GeneratorHarness.References);
            // The compiler's errors on the code before (CS9248 for the ungenerated layers, ...) are not the subject;
            // the code after is compiled with its generated code by Verify.
            CompilerDiagnostics = CompilerDiagnostics.None;
            if (fixer.GetFixAllProvider() is null)
            {
                CodeFixTestBehaviors |= CodeFixTestBehaviors.SkipFixAllCheck;
            }
        }

        protected override ParseOptions CreateParseOptions() => GeneratorHarness.ParseOptions;

        protected override IEnumerable<CodeFixProvider> GetCodeFixProviders() => [_fixer];
    }
}

/// <summary>
/// Reports the generator's diagnostics as an analyzer would, at their place in the document, which is what the IDE
/// hands a code fix: the generator reports at a file path and span (its models hold no syntax tree), and the IDE maps
/// those to the document. Microsoft.CodeAnalysis.Testing fixes only diagnostics in a document (and fix-all only
/// analyzer IDs), so the code-fix tests run the generator through this.
/// </summary>
// Never loaded by a compiler, only instantiated by the tests: the rules for shipped compiler extensions do not apply.
#pragma warning disable RS1036, RS1038, RS1041
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GeneratorDiagnosticsAnalyzer : DiagnosticAnalyzer
#pragma warning restore RS1036, RS1038, RS1041
{
    /// <summary>Each generator descriptor with the finished message as its format, so the message passes through as it is.</summary>
    private static readonly Dictionary<string, DiagnosticDescriptor> s_mirrors = DiagnosticDescriptors.All.ToDictionary(
        descriptor => descriptor.Id,
        descriptor => new DiagnosticDescriptor(descriptor.Id, descriptor.Title, "{0}", descriptor.Category, descriptor.DefaultSeverity,
            descriptor.IsEnabledByDefault, helpLinkUri: descriptor.HelpLinkUri, customTags: [.. descriptor.CustomTags]));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [.. s_mirrors.Values];

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        // Per document, as the IDE shows them: the generator runs on the whole compilation, and the document gets the
        // diagnostics in its file (local diagnostics, which is what a code fix may fix).
        context.RegisterSemanticModelAction(modelContext =>
        {
            var tree = modelContext.SemanticModel.SyntaxTree;
            Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create([new InceptionGenerator().AsSourceGenerator()], parseOptions: (Microsoft.CodeAnalysis.CSharp.CSharpParseOptions)tree.Options)
                .RunGeneratorsAndUpdateCompilation(modelContext.SemanticModel.Compilation, out _, out var diagnostics, modelContext.CancellationToken);
            foreach (var diagnostic in diagnostics.Where(diagnostic => diagnostic.Location.GetLineSpan().Path == tree.FilePath))
            {
                modelContext.ReportDiagnostic(InDocument(diagnostic, [tree]));
            }
        });
    }

    /// <summary>The diagnostic at its span in the tree of its file path, as the IDE places it; its message and properties kept.</summary>
    public static Diagnostic InDocument(Diagnostic diagnostic, IEnumerable<SyntaxTree> trees)
    {
        var path = diagnostic.Location.GetLineSpan().Path;
        var tree = trees.FirstOrDefault(candidate => candidate.FilePath == path);
        var location = tree is null ? diagnostic.Location : Location.Create(tree, diagnostic.Location.SourceSpan);
        var descriptor = s_mirrors.TryGetValue(diagnostic.Id, out var mirror) ? mirror : diagnostic.Descriptor;
        return Diagnostic.Create(descriptor, location, diagnostic.Properties, diagnostic.GetMessage());
    }
}
