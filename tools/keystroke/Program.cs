// Times the InceptionGen generator on GoogLeNet as an IDE would run it: a fresh driver, then a second run after an
// edit to another file (every step should be Cached) and after an edit to a layer. Prints medians over many runs.
using System.Diagnostics;
using InceptionGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

var root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "InceptionGen.sln")))
{
    root = Path.GetDirectoryName(root.TrimEnd('/'))!;
}

var runs = args.Length > 0 && int.TryParse(args[0], out var count) ? count : 40;
var parse = new CSharpParseOptions(LanguageVersion.Preview);
var googLeNet = CSharpSyntaxTree.ParseText(File.ReadAllText(Path.Combine(root, "Definitions", "GoogLeNet.cs")), parse, "GoogLeNet.cs");
var other = CSharpSyntaxTree.ParseText("namespace Sample; public static class Other { public static int Value => 1; }", parse, "Other.cs");
MetadataReference[] references = [.. Basic.Reference.Assemblies.Net100.References.All, MetadataReference.CreateFromFile(typeof(InceptionGen.NetworkAttribute).Assembly.Location)];
var compilation = CSharpCompilation.Create("Keystroke", [googLeNet, other], references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

// With "baseline" the generator is one that only finds [Network] classes: Roslyn's own cost per edit, the floor.
// With "bind" it also binds every layer property's attributes.
IIncrementalGenerator generator = args.Contains("baseline") ? new FindNetworksOnly() : args.Contains("bind") ? new BindAttributesOnly() : new InceptionGenerator();
GeneratorDriver NewDriver() => CSharpGeneratorDriver.Create([generator.AsSourceGenerator()], parseOptions: parse,
    driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

var fresh = new List<double>();
var unrelated = new List<double>();
var layerEdit = new List<double>();
var unrelatedAllocated = new List<double>();
var notCached = new HashSet<string>();
for (var run = 0; run < runs; run++)
{
    var clock = Stopwatch.StartNew();
    var driver = NewDriver().RunGenerators(compilation);
    fresh.Add(clock.Elapsed.TotalMilliseconds);

    var edited = compilation.ReplaceSyntaxTree(other, other.WithChangedText(other.GetText().Replace(0, 0, $"// edit {run}\n")));
    var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    clock.Restart();
    var after = driver.RunGenerators(edited);
    unrelated.Add(clock.Elapsed.TotalMilliseconds);
    unrelatedAllocated.Add((GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / 1024.0);
    var result = after.GetRunResult().Results.Single();
    foreach (var (step, stepRuns) in result.TrackedSteps.Concat(result.TrackedOutputSteps))
    {
        foreach (var output in stepRuns.SelectMany(stepRun => stepRun.Outputs))
        {
            if (output.Reason is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged))
            {
                notCached.Add($"{step}: {output.Reason}");
            }
        }
    }

    var text = googLeNet.GetText().ToString();
    var layerEdited = compilation.ReplaceSyntaxTree(googLeNet, googLeNet.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(text.Replace("[Linear(1000)]", run % 2 == 0 ? "[Linear(999)]" : "[Linear(998)]"))));
    clock.Restart();
    driver.RunGenerators(layerEdited);
    layerEdit.Add(clock.Elapsed.TotalMilliseconds);
}

Console.WriteLine($"GoogLeNet, {runs} runs each (median, ms): fresh driver {Median(fresh):F1}; after an unrelated edit {Median(unrelated):F2}; after a layer edit {Median(layerEdit):F1}");
Console.WriteLine($"unrelated edit, min/10th percentile/max: {unrelated.Min():F2}/{unrelated.Order().ElementAt(unrelated.Count / 10):F2}/{unrelated.Max():F2} ms (the 10th percentile is a quiet machine's figure on a loaded one)");
Console.WriteLine($"unrelated edit allocates (median) {Median(unrelatedAllocated):F0} KiB; gen0/1/2 collections over the whole run: {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
Console.WriteLine(notCached.Count == 0 ? "after the unrelated edit every step was Cached or Unchanged" : "not cached after the unrelated edit: " + string.Join(", ", notCached));

/// <summary>Finds the [Network] classes and writes nothing: what any attribute-driven generator pays per edit.</summary>
internal sealed class FindNetworksOnly : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var names = context.SyntaxProvider.ForAttributeWithMetadataName("InceptionGen.NetworkAttribute", static (_, _) => true, static (found, _) => found.TargetSymbol.Name);
        context.RegisterSourceOutput(names, static (_, _) => { });
    }
}

/// <summary>Also binds every property's attributes: what reading the layers through symbols costs at least.</summary>
internal sealed class BindAttributesOnly : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var names = context.SyntaxProvider.ForAttributeWithMetadataName("InceptionGen.NetworkAttribute", static (_, _) => true, static (found, _) =>
        {
            var count = 0;
            foreach (var member in ((INamedTypeSymbol)found.TargetSymbol).GetMembers())
            {
                if (member is IPropertySymbol property)
                {
                    foreach (var attribute in property.GetAttributes()) { count += attribute.NamedArguments.Length + attribute.ConstructorArguments.Length; }
                }
            }
            return count;
        });
        context.RegisterSourceOutput(names, static (_, _) => { });
    }
}

