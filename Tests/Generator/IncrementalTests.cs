using System.Collections;
using System.Reflection;
using InceptionGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace InceptionGen.Tests.Generator;

/// <summary>
/// The generator's incremental pipeline (after Riok/Mapperly's IncrementalGeneratorRunReasons): a second
/// driver run after an edit must re-run only what the edit touches. Step names are the generator's
/// tracking names, "Parse", "Plan", "Diagnostics" and "Emit"; the source output is Roslyn's "SourceOutput" step.
/// </summary>
public sealed class IncrementalTests
{
    private const string NetworkSource = """
        using InceptionGen;

        namespace Sample;

        [Network(Channels = 3, Height = 32, Width = 32)]
        public sealed partial class Net
        {
            [Conv(64, Kernel = 3, Padding = 1)]   public partial Conv Conv1 { get; }
            [MaxPool(2)]                          public partial Pool Pool1 { get; }
            [Inception(16, 16, 32, 16, 16, 16)]   public partial Inception Inception1 { get; }
            [GlobalAveragePool]                   public partial Pool Pool2 { get; }
            [Linear(10)]                          public partial Linear Classifier { get; }

            public int Helper() => 1;
        }
        """;

    private const string UnrelatedSource = """
        namespace Sample;

        public static class Unrelated
        {
            public static int Value => 1;
        }
        """;

    private static readonly string SourceOutput = WellKnownGeneratorOutputs.SourceOutput;

    [Fact]
    public void AddingAnUnrelatedFileReRunsNothing()
    {
        var compilation = GeneratorHarness.Compile(NetworkSource);
        var driver = RunTwice(compilation, compilation.AddSyntaxTrees(Tree(UnrelatedSource, "Unrelated.cs")), out var first);

        var result = driver.GetRunResult().Results.Single();
        // The attribute transform re-runs on every new compilation (Unchanged when its model is equal).
        AssertAllReasons(result, InceptionGenerator.ParseStep, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertAllReasons(result, InceptionGenerator.PlanStep, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertAllReasons(result, SourceOutput, IncrementalStepRunReason.Cached);
        Assert.Equal(GeneratedText(first), GeneratedText(result));
    }

    [Fact]
    public void EditingAnUnrelatedFileReRunsNothing()
    {
        var compilation = GeneratorHarness.Compile(NetworkSource, UnrelatedSource);
        var unrelated = compilation.SyntaxTrees.Single(tree => tree.FilePath == "Source1.cs");
        var edited = compilation.ReplaceSyntaxTree(unrelated, Tree(UnrelatedSource.Replace("=> 1;", "=> 2; // edited"), "Source1.cs"));
        var driver = RunTwice(compilation, edited, out var first);

        var result = driver.GetRunResult().Results.Single();
        // The attribute transform re-runs on every new compilation (Unchanged when its model is equal).
        AssertAllReasons(result, InceptionGenerator.ParseStep, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertAllReasons(result, InceptionGenerator.PlanStep, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertAllReasons(result, SourceOutput, IncrementalStepRunReason.Cached);
        Assert.Equal(GeneratedText(first), GeneratedText(result));
    }

    [Fact]
    public void ChangingALayerArgumentReParsesReplansAndRegenerates()
    {
        var driver = RunTwice(NetworkSource, NetworkSource.Replace("[Conv(64,", "[Conv(32,"), out var first);

        var result = driver.GetRunResult().Results.Single();
        AssertAllReasons(result, InceptionGenerator.ParseStep, IncrementalStepRunReason.Modified);
        AssertAllReasons(result, InceptionGenerator.PlanStep, IncrementalStepRunReason.Modified);
        AssertAllReasons(result, InceptionGenerator.EmitStep, IncrementalStepRunReason.Modified);
        // Two source outputs: the diagnostics (still none: Cached) and the code (Modified).
        Assert.Contains(result.TrackedOutputSteps[SourceOutput].SelectMany(run => run.Outputs), output => output.Reason == IncrementalStepRunReason.Modified);
        var regenerated = GeneratedText(result);
        Assert.NotEqual(GeneratedText(first), regenerated);
        Assert.Contains("OutChannels: 32,", regenerated);
        Assert.DoesNotContain("OutChannels: 64,", regenerated);
    }

    /// <summary>Edits inside the network class that leave its layers alone.</summary>
    public static TheoryData<string, string> EditsThatKeepTheLayers => new()
    {
        { "method body", NetworkSource.Replace("public int Helper() => 1;", "public int Helper() { return 2; }") },
        { "comment in a method", NetworkSource.Replace("public int Helper() => 1;", "public int Helper() => /* the answer */ 1;") },
        { "new method", NetworkSource.Replace("public int Helper() => 1;", "public int Helper() => 1;\n\n    public string Describe() => Summary.Format();") },
        { "new plain property", NetworkSource.Replace("public int Helper() => 1;", "public int Helper() => 1;\n\n    public int Epochs { get; set; }") },
    };

    [Theory]
    [MemberData(nameof(EditsThatKeepTheLayers))]
    public void EditingTheClassWithoutTouchingLayersRegeneratesNothing(string edit, string editedSource)
    {
        Assert.NotEqual(NetworkSource, editedSource);
        var driver = RunTwice(NetworkSource, editedSource, out var first);

        var result = driver.GetRunResult().Results.Single();
        // The file changed, so the parse re-runs, but its model is equal to the previous one ...
        AssertAllReasons(result, InceptionGenerator.ParseStep, IncrementalStepRunReason.Unchanged);
        // ... so the plan and the source output are not recomputed.
        AssertAllReasons(result, InceptionGenerator.PlanStep, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertAllReasons(result, SourceOutput, IncrementalStepRunReason.Cached);
        Assert.True(GeneratedText(first) == GeneratedText(result), $"{edit}: the generated text changed");
    }

    /// <summary>
    /// The same, for an edit above the layer declarations. It shifts the layers' source spans, which the
    /// model and plan keep for diagnostics, so Parse and Plan are Modified; but the code depends only on
    /// the plan without locations (the "Emit" step), which is Unchanged, so the file is not re-emitted.
    /// </summary>
    [Fact]
    public void EditingTheClassAboveTheLayersRegeneratesNothing()
    {
        var edited = NetworkSource.Replace("public sealed partial class Net\n{\n", "public sealed partial class Net\n{\n    // A comment above the layers.\n");
        Assert.NotEqual(NetworkSource, edited);
        var driver = RunTwice(NetworkSource, edited, out var first);

        var result = driver.GetRunResult().Results.Single();
        AssertAllReasons(result, InceptionGenerator.PlanStep, IncrementalStepRunReason.Modified);
        AssertAllReasons(result, InceptionGenerator.EmitStep, IncrementalStepRunReason.Unchanged, IncrementalStepRunReason.Cached);
        AssertAllReasons(result, SourceOutput, IncrementalStepRunReason.Cached);
        Assert.Equal(GeneratedText(first), GeneratedText(result));
    }

    [Fact]
    public void ModelsAndPlansOfIdenticalSourceAreEqualAcrossSeparateRuns()
    {
        // Two separate compilations and drivers: nothing is shared but the text.
        var first = GeneratorHarness.Run(NetworkSource).RunResult.Results.Single();
        var second = GeneratorHarness.Run(NetworkSource).RunResult.Results.Single();

        foreach (var step in new[] { InceptionGenerator.ParseStep, InceptionGenerator.PlanStep })
        {
            var a = SingleOutput(first, step);
            var b = SingleOutput(second, step);
            Assert.NotSame(a, b);
            Assert.True(a.Equals(b), $"{step}: the outputs of two runs on identical source are not equal");
            Assert.Equal(a.GetHashCode(), b.GetHashCode());
            AssertPlainValues(a, step);
        }
    }

    [Fact]
    public void ModelsOfDifferentSourceAreNotEqual()
    {
        // Guards the test above: equality must come from the values, not from a comparison that always says yes.
        var first = GeneratorHarness.Run(NetworkSource).RunResult.Results.Single();
        var second = GeneratorHarness.Run(NetworkSource.Replace("[Linear(10)]", "[Linear(11)]")).RunResult.Results.Single();

        Assert.False(SingleOutput(first, InceptionGenerator.ParseStep).Equals(SingleOutput(second, InceptionGenerator.ParseStep)));
        Assert.False(SingleOutput(first, InceptionGenerator.PlanStep).Equals(SingleOutput(second, InceptionGenerator.PlanStep)));
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static SyntaxTree Tree(string source, string path) => CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, path: path);

    private static GeneratorDriver RunTwice(string source, string editedSource, out GeneratorRunResult first)
    {
        var compilation = GeneratorHarness.Compile(source);
        var tree = compilation.SyntaxTrees.Single();
        return RunTwice(compilation, compilation.ReplaceSyntaxTree(tree, Tree(editedSource, tree.FilePath)), out first);
    }

    /// <summary>Runs the driver on <paramref name="compilation"/>, then again on <paramref name="edited"/>.</summary>
    private static GeneratorDriver RunTwice(Compilation compilation, Compilation edited, out GeneratorRunResult first)
    {
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        first = driver.GetRunResult().Results.Single();
        Assert.Null(first.Exception);
        Assert.Single(NetworkFiles(first));
        AssertAllReasons(first, InceptionGenerator.ParseStep, IncrementalStepRunReason.New);
        AssertAllReasons(first, InceptionGenerator.PlanStep, IncrementalStepRunReason.New);
        AssertAllReasons(first, SourceOutput, IncrementalStepRunReason.New);

        driver = driver.RunGenerators(edited);
        var second = driver.GetRunResult().Results.Single();
        Assert.Null(second.Exception);
        Assert.Single(NetworkFiles(second));
        return driver;
    }

    /// <summary>Every output of every run of <paramref name="step"/> has one of <paramref name="expected"/> as its reason; there is at least one.</summary>
    private static void AssertAllReasons(GeneratorRunResult result, string step, params IncrementalStepRunReason[] expected)
    {
        var steps = step == SourceOutput ? result.TrackedOutputSteps : result.TrackedSteps;
        Assert.True(steps.TryGetValue(step, out var runs), $"no tracked step '{step}'; tracked: {string.Join(", ", steps.Keys)}");
        var reasons = runs.SelectMany(run => run.Outputs).Select(output => output.Reason).ToList();
        Assert.NotEmpty(reasons);
        Assert.True(reasons.All(expected.Contains),
            $"step '{step}': expected {string.Join(" or ", expected)}, got {string.Join(", ", reasons)}");
    }

    private static object SingleOutput(GeneratorRunResult result, string step)
        => Assert.Single(Assert.Single(result.TrackedSteps[step]).Outputs).Value;

    private static string GeneratedText(GeneratorRunResult result) => Assert.Single(NetworkFiles(result)).SourceText.ToString();

    /// <summary>The generated files but the register tiles the compilation's networks share.</summary>
    private static IEnumerable<GeneratedSourceResult> NetworkFiles(GeneratorRunResult result)
        => result.GeneratedSources.Where(source => source.HintName != InceptionGenerator.TilesHintName);

    /// <summary>
    /// The model holds plain values only: no symbol, syntax, semantic model, compilation or Location,
    /// which would keep compilations alive and defeat caching.
    /// </summary>
    private static void AssertPlainValues(object root, string step)
    {
        var forbidden = new[] { typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(SemanticModel), typeof(Compilation), typeof(Location), typeof(AttributeData) };
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<(object Value, string Path)>();
        pending.Push((root, step));
        var visited = 0;
        while (pending.Count > 0)
        {
            var (value, path) = pending.Pop();
            var type = value.GetType();
            Assert.False(forbidden.Any(bad => bad.IsAssignableFrom(type)), $"{path} is a {type.FullName}");
            if (type.IsPrimitive || type.IsEnum || value is string || !seen.Add(value))
            {
                continue;
            }

            visited++;
            if (value is IEnumerable items)
            {
                var index = 0;
                foreach (var item in items)
                {
                    if (item is not null)
                    {
                        pending.Push((item, $"{path}[{index}]"));
                    }

                    index++;
                }

                continue;
            }

            for (var current = type; current is not null && current != typeof(object) && current != typeof(ValueType); current = current.BaseType)
            {
                foreach (var field in current.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (field.GetValue(value) is { } fieldValue)
                    {
                        pending.Push((fieldValue, $"{path}.{field.Name}"));
                    }
                }
            }
        }

        Assert.True(visited > 10, $"{step}: only {visited} objects walked; the model walk is not looking at the model");
    }
}
