using System.Collections.Immutable;
using InceptionGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace InceptionGen.Tests.Generator;

/// <summary>Runs the generator on source text in memory, against the .NET 10 reference assemblies and the runtime.</summary>
internal static class GeneratorHarness
{
    private static readonly MetadataReference[] s_references =
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(NetworkAttribute).Assembly.Location),
    ];

    /// <summary>The .NET 10 reference assemblies and the runtime: what every test compilation references.</summary>
    public static IReadOnlyList<MetadataReference> References => s_references;

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Preview);

    // Every compilation is derived from this one, so that they share its bound reference assemblies: binding the
    // 160-odd references anew costs more than most generator runs.
    private static readonly CSharpCompilation s_empty = CSharpCompilation.Create(
        "GeneratorTest", [], s_references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>A compilation of <paramref name="sources"/>, each in its own file Source0.cs, Source1.cs, ...</summary>
    public static CSharpCompilation Compile(params string[] sources)
        => s_empty.AddSyntaxTrees(sources.Select((source, index) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"Source{index}.cs")));

    /// <summary>A driver that records step outputs, for incremental-step tests.</summary>
    public static GeneratorDriver CreateDriver()
        => CSharpGeneratorDriver.Create(
            [new InceptionGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once; returns the compilation with the generated files and the generator's diagnostics.</summary>
    public static GeneratorResult Run(params string[] sources)
    {
        var compilation = Compile(sources);
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var result = driver.GetRunResult();
        return new GeneratorResult(output, generatorDiagnostics, result);
    }
}

/// <summary>The outcome of one generator run.</summary>
internal sealed record GeneratorResult(Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics, GeneratorDriverRunResult RunResult)
{
    /// <summary>Generated network files by hint name (the shared register tiles are <see cref="RegisterTiles"/>).</summary>
    public IReadOnlyDictionary<string, string> GeneratedSources
        => RunResult.Results.SelectMany(result => result.GeneratedSources)
            .Where(source => source.HintName != InceptionGenerator.TilesHintName)
            .ToDictionary(source => source.HintName, source => source.SourceText.ToString());

    /// <summary>The register tiles shared by the compilation's networks, or null when none has a convolution.</summary>
    public string? RegisterTiles
        => RunResult.Results.SelectMany(result => result.GeneratedSources)
            .Where(source => source.HintName == InceptionGenerator.TilesHintName)
            .Select(source => source.SourceText.ToString())
            .SingleOrDefault();

    /// <summary>Errors and warnings of the final compilation, generated code included.</summary>
    public IReadOnlyList<Diagnostic> CompilationProblems
        => Output.GetDiagnostics().Where(diagnostic => diagnostic.Severity >= DiagnosticSeverity.Warning).ToList();

    /// <summary>Exceptions the generator let escape (Roslyn turns them into CS8785).</summary>
    public IReadOnlyList<Exception> Exceptions => RunResult.Results.Select(result => result.Exception).OfType<Exception>().ToList();
}
