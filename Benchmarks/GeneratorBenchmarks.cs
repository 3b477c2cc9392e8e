using BenchmarkDotNet.Attributes;
using InceptionGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace InceptionGen.Benchmarks;

/// <summary>
/// The generator's cost in the IDE, on GoogLeNet (Definitions/GoogLeNet.cs, embedded): a cold run (new compilation,
/// new driver). The global setup checks that the generator reports nothing and prints the generated source's size;
/// <see cref="GeneratorEditBenchmarks"/> times the re-runs, <see cref="GeneratorCompileBenchmarks"/> the compile
/// time the generated code adds. Inception-v3 is not declared yet; add it here when it is.
/// </summary>
public class GeneratorBenchmarks
{
    private GeneratorBenchmarkSources _sources = null!;

    [GlobalSetup]
    public void Setup()
    {
        _sources = new GeneratorBenchmarkSources();
        foreach (var tree in _sources.GeneratedTrees)
        {
            var text = tree.GetText().ToString();
            Console.WriteLine($"// generated for GoogLeNet, {Path.GetFileName(tree.FilePath)}: {text.Length:N0} characters, {text.Split('\n').Length:N0} lines, {System.Text.Encoding.UTF8.GetByteCount(text):N0} bytes UTF-8");
        }
    }

    [Benchmark(Description = "cold run")]
    public GeneratorDriver Cold() => _sources.CreateDriver(trackSteps: false).RunGenerators(_sources.NewCompilation());

}

/// <summary>
/// The compile time the generated code adds to a build: binding and emitting GoogLeNet with its generated file,
/// against a compilation that holds only the unrelated file (the fixed cost of a compilation with the same references).
/// Seconds per run, so few iterations.
/// </summary>
[InvocationCount(1)]
[WarmupCount(1)]
[IterationCount(5)]
public class GeneratorCompileBenchmarks
{
    private GeneratorBenchmarkSources _sources = null!;

    [GlobalSetup]
    public void Setup() => _sources = new GeneratorBenchmarkSources();

    [Benchmark(Baseline = true, Description = "compile: unrelated file only")]
    public bool CompileBaseline() => GeneratorBenchmarkSources.Emit(_sources.Unrelated);

    [Benchmark(Description = "compile: GoogLeNet + generated + unrelated")]
    public bool CompileWithGenerated() => GeneratorBenchmarkSources.Emit([_sources.Unrelated, _sources.Network, .. _sources.GeneratedTrees]);
}

/// <summary>
/// Re-runs of the generator on GoogLeNet after an edit, as in the IDE: each iteration gets a fresh compilation and a
/// driver that has already run on it (IterationSetup, untimed), then times one run on the edited compilation. The
/// global setup checks that after an unrelated edit every output step is Cached or Unchanged, and prints the run
/// reasons of both edits.
/// </summary>
[InvocationCount(1)]
[IterationCount(30)]
public class GeneratorEditBenchmarks
{
    private GeneratorBenchmarkSources _sources = null!;
    private GeneratorDriver _primed = null!;
    private Compilation _edited = null!;

    [GlobalSetup]
    public void Setup()
    {
        _sources = new GeneratorBenchmarkSources();
        var driver = _sources.CreateDriver(trackSteps: true);
        driver = driver.RunGenerators(_sources.NewCompilation());

        var unrelatedRun = driver.RunGenerators(_sources.NewCompilation().ReplaceSyntaxTree(_sources.Unrelated, _sources.UnrelatedEdited)).GetRunResult().Results.Single();
        Console.WriteLine($"// run reasons after an unrelated edit: {Describe(unrelatedRun)}");
        var notCached = unrelatedRun.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(run => run.Outputs)
            .Where(output => output.Reason is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged)).ToList();
        if (notCached.Count > 0 || unrelatedRun.TrackedOutputSteps.Count == 0)
        {
            throw new InvalidOperationException($"an unrelated edit re-ran {notCached.Count} output step(s): {Describe(unrelatedRun)}");
        }

        var layerRun = driver.RunGenerators(_sources.NewCompilation().ReplaceSyntaxTree(_sources.Network, _sources.NetworkEdited)).GetRunResult().Results.Single();
        Console.WriteLine($"// run reasons after a layer edit: {Describe(layerRun)}");
    }

    [IterationSetup(Target = nameof(UnrelatedEdit))]
    public void PrimeForUnrelatedEdit() => Prime(_sources.Unrelated, _sources.UnrelatedEdited);

    [Benchmark(Description = "re-run after an unrelated edit")]
    public GeneratorDriver UnrelatedEdit() => _primed.RunGenerators(_edited);

    [IterationSetup(Target = nameof(LayerEdit))]
    public void PrimeForLayerEdit() => Prime(_sources.Network, _sources.NetworkEdited);

    [Benchmark(Description = "re-run after a layer edit")]
    public GeneratorDriver LayerEdit() => _primed.RunGenerators(_edited);

    private void Prime(SyntaxTree before, SyntaxTree after)
    {
        var compilation = _sources.NewCompilation();
        _primed = _sources.CreateDriver(trackSteps: false).RunGenerators(compilation);
        _edited = compilation.ReplaceSyntaxTree(before, after);
    }

    /// <summary>Each tracked step with the count of its outputs per run reason, e.g. "Parse: Unchanged×1".</summary>
    private static string Describe(GeneratorRunResult result) => string.Join("; ",
        result.TrackedSteps.Concat(result.TrackedOutputSteps).Select(step => $"{step.Key}: " + string.Join(", ",
            step.Value.SelectMany(run => run.Outputs).GroupBy(output => output.Reason).Select(group => $"{group.Key}×{group.Count()}"))));
}

/// <summary>GoogLeNet's source (embedded from Definitions/GoogLeNet.cs), an unrelated file, an edit of each, and GoogLeNet's generated file.</summary>
internal sealed class GeneratorBenchmarkSources
{
    /// <summary>Inception4a's attribute, and the edit: a wider pool projection (64 → 80), which changes every later shape.</summary>
    private const string LayerBefore = "[Inception(192, 96, 208, 16, 48, 64)]";
    private const string LayerAfter = "[Inception(192, 96, 208, 16, 48, 80)]";

    private const string UnrelatedSource = """
        namespace Consumer;

        public static class Settings
        {
            public static int Epochs => 1;
        }
        """;

    private static readonly CSharpParseOptions s_parseOptions = new(LanguageVersion.Preview);

    private static readonly MetadataReference[] s_references =
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(NetworkAttribute).Assembly.Location),
    ];

    private static readonly CSharpCompilationOptions s_options = new(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable);

    public GeneratorBenchmarkSources()
    {
        using var stream = typeof(GeneratorBenchmarkSources).Assembly.GetManifestResourceStream("GoogLeNet.cs")
            ?? throw new InvalidOperationException("GoogLeNet.cs is not embedded");
        var source = new StreamReader(stream).ReadToEnd();
        if (!source.Contains(LayerBefore, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"GoogLeNet.cs no longer declares {LayerBefore}; update the layer edit");
        }

        Network = Parse(source, "GoogLeNet.cs");
        NetworkEdited = Parse(source.Replace(LayerBefore, LayerAfter, StringComparison.Ordinal), "GoogLeNet.cs");
        Unrelated = Parse(UnrelatedSource, "Settings.cs");
        UnrelatedEdited = Parse(UnrelatedSource.Replace("=> 1;", "=> 2;", StringComparison.Ordinal), "Settings.cs");

        var run = CreateDriver(trackSteps: false).RunGenerators(NewCompilation()).GetRunResult();
        var generated = run.Results.Single().GeneratedSources;
        // GoogLeNet's file and the register tiles the compilation's networks share.
        if (run.Diagnostics.Length > 0 || generated.Length != 2)
        {
            throw new InvalidOperationException($"the generator gave {generated.Length} file(s) and {run.Diagnostics.Length} diagnostic(s) for GoogLeNet");
        }

        GeneratedTrees = generated.Select(source => source.SyntaxTree).ToArray();
    }

    public SyntaxTree Network { get; }
    public SyntaxTree NetworkEdited { get; }
    public SyntaxTree Unrelated { get; }
    public SyntaxTree UnrelatedEdited { get; }
    /// <summary>The generated files: GoogLeNet's and the shared register tiles.</summary>
    public SyntaxTree[] GeneratedTrees { get; }

    /// <summary>A new compilation of GoogLeNet and the unrelated file: nothing bound yet, as after a project load.</summary>
    public CSharpCompilation NewCompilation() => CSharpCompilation.Create("Consumer", [Network, Unrelated], s_references, s_options);

    public GeneratorDriver CreateDriver(bool trackSteps) => CSharpGeneratorDriver.Create(
        [new InceptionGenerator().AsSourceGenerator()],
        parseOptions: s_parseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Compiles <paramref name="trees"/> to IL (discarded); throws on an error.</summary>
    public static bool Emit(params SyntaxTree[] trees)
    {
        var result = CSharpCompilation.Create("Consumer", trees, s_references, s_options).Emit(Stream.Null);
        return result.Success ? true : throw new InvalidOperationException(string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(5)));
    }

    private static SyntaxTree Parse(string source, string path) => CSharpSyntaxTree.ParseText(source, s_parseOptions, path: path);
}
