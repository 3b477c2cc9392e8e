using System.Diagnostics;
using System.Globalization;
using System.Text;
using InceptionGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace InceptionGen.Tests.Generator;

/// <summary>
/// Writes random and mutated network definitions as source text, from a seed: one to three networks per
/// compilation, in one or two files, with the kinds of input a fuzzing campaign found to break the generator
/// (issue 17): huge, negative and zero numbers, keyword and clashing names, modifiers, partial parts, base
/// classes, primary constructors and odd attribute arguments. Most cases stay valid, so that the generated code
/// of accepted networks gets compiled too.
/// </summary>
internal sealed class GeneratorFuzzer(int seed)
{
    private static readonly string[] s_keywords = ["@class", "@int", "@event", "@namespace", "@object", "@return"];
    private static readonly string[] s_generatedNames = ["Forward", "Summary", "Graph", "PackWeights", "Operation", "ForwardPass", "Parameters", "_pool", "MaxBatch", "Backward"];
    private static readonly string[] s_baseClasses =
    [
        "public abstract class NetBase { }",
        "public abstract class NeedsSize { protected NeedsSize(int size) { } }",
        "public abstract class OptionalSize { protected OptionalSize(int size = 1) { } }",
        "public class HasForward { public void Forward() { } }",
    ];

    /// <summary>A valid network, to run the generator once before the timed cases.</summary>
    public static readonly string[] WarmUpCase =
    [
        "using InceptionGen;\n[Network(Channels = 3, Height = 8, Width = 8)]\npublic sealed partial class WarmUp\n{\n    [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }\n    [Inception(16, 8, 16, 8, 16, 16)] public partial Inception Inception1 { get; }\n    [AuxiliaryClassifier(10, PoolKernel = 2, PoolStride = 2, ConvChannels = 16, HiddenUnits = 32)] public partial AuxiliaryClassifier Aux { get; }\n    [GlobalAveragePool] public partial Pool Pool { get; }\n    [Linear(10)] public partial Linear Classifier { get; }\n}\n",
    ];

    private readonly Random _random = new(seed);
    private int _networks;

    /// <summary>One case: the source files of one compilation.</summary>
    public string[] NextCase()
    {
        var files = new List<StringBuilder> { new() };
        var usesBases = Chance(0.08);
        if (usesBases)
        {
            files[0].AppendLine(string.Join("\n", s_baseClasses.Select(line => "namespace Bases { " + line + " }")));
        }

        if (Chance(0.3))
        {
            files.Add(new StringBuilder());
        }

        var count = _random.Next(1, 4);
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var name = ClassName(names);
            names.Add(name);
            WriteNetwork(files, name);
        }

        return files.Select(file => "using InceptionGen;\n" + file).ToArray();
    }

    private string ClassName(List<string> taken)
    {
        _networks++;
        if (taken.Count > 0 && Chance(0.15))
        {
            return taken[0].ToUpperInvariant() == taken[0] ? taken[0].ToLowerInvariant() : taken[0].ToUpperInvariant();
        }

        return Pick(0.92, () => "Net" + _networks, () => Pick(0.5, () => Any(s_keywords), () => Any(["Summary", "Graph", "System", "Threading", "Span", "Math", "Unsafe", "Kernels"])));
    }

    private void WriteNetwork(List<StringBuilder> files, string name)
    {
        var text = new StringBuilder();
        var namespaceName = Pick(0.7, () => "Zoo" + _random.Next(3), () => Pick(0.5, () => "", () => "@namespace"));
        var nested = Chance(0.1);
        var containing = Pick(0.8, () => "Outer", () => "@struct");
        var modifiers = Pick(0.96, () => "public sealed partial", () => Any(["public partial", "internal partial", "public sealed", "public static partial", "public abstract partial", "file sealed partial"]));
        var kind = Pick(0.985, () => "class", () => "record");
        var suffix = Pick(0.96, () => "", () => Any(["(int size)", " : Bases.NetBase", " : Bases.NeedsSize", " : Bases.OptionalSize", " : Bases.HasForward", "<T>"]));
        var layers = Layers();
        var split = files.Count > 1 && Chance(0.4) ? _random.Next(0, layers.Count + 1) : layers.Count;

        string Declaration(IEnumerable<string> members, bool withAttribute)
        {
            var body = new StringBuilder();
            if (withAttribute)
            {
                body.AppendLine("[Network(" + NetworkArguments() + ")]");
            }

            body.AppendLine($"{modifiers} {kind} {name}{suffix}");
            body.AppendLine("{");
            foreach (var member in members)
            {
                body.AppendLine("    " + member);
            }

            body.AppendLine("}");
            var type = nested ? $"public partial class {containing}\n{{\n{body}}}\n" : body.ToString();
            return namespaceName.Length == 0 ? type : $"namespace {namespaceName}\n{{\n{type}}}\n";
        }

        files[0].Append(Declaration(layers.Take(split).Concat(UserMembers()), withAttribute: true));
        if (split < layers.Count || files.Count > 1 && Chance(0.2))
        {
            files[^1].Append(Declaration(layers.Skip(split), withAttribute: Chance(0.1)));
        }
    }

    private string NetworkArguments()
    {
        var arguments = new List<string>();
        if (Chance(0.9))
        {
            arguments.Add("Channels = " + Number(_random.Next(1, 5) switch { 1 => 1, 2 => 3, 3 => 4, _ => 16 }));
        }

        if (Chance(0.95))
        {
            var size = _random.Next(4, 33);
            arguments.Add("Height = " + Number(size));
            arguments.Add("Width = " + Number(Chance(0.8) ? size : _random.Next(1, 33)));
        }

        if (Chance(0.01))
        {
            arguments.Add("Height = 8");
        }

        return string.Join(", ", arguments);
    }

    private List<string> Layers()
    {
        var layers = new List<string>();
        var count = _random.Next(Chance(0.03) ? 0 : 1, 9);
        var names = new HashSet<string>();
        string? previous = null;
        for (var i = 0; i < count; i++)
        {
            var (attribute, type) = Layer(i);
            var name = LayerName(i, previous, names);
            previous = name;
            layers.Add($"[{attribute}] {PropertyModifiers()} {type} {name} {Accessors()}");
            if (Chance(0.02))
            {
                layers.Add($"public partial {type} {name} {{ get => null!; }}");
            }
        }

        // Usually end as a classifier, so that the training pass is generated too.
        if (Chance(0.6))
        {
            layers.Add("[GlobalAveragePool] public partial Pool Gap { get; }");
            if (Chance(0.5))
            {
                layers.Add("[Dropout(0.4f)] public partial Dropout Drop { get; }");
            }

            layers.Add($"[Linear({Number(_random.Next(1, 20))})] public partial Linear Classifier {{ get; }}");
        }

        return layers;
    }

    private (string Attribute, string Type) Layer(int index)
    {
        switch (_random.Next(13))
        {
            case 0 or 1 or 2:
                var options = new List<string> { Number(_random.Next(1, 40)) };
                if (Chance(0.6)) options.Add("Kernel = " + Number(_random.Next(1, 6)));
                if (Chance(0.4)) options.Add("Stride = " + Number(_random.Next(1, 3)));
                if (Chance(0.5)) options.Add("Padding = " + Number(_random.Next(0, 3)));
                if (Chance(0.2)) options.Add("Bias = " + Bool());
                if (Chance(0.2)) options.Add("Relu = " + Bool());
                if (Chance(0.15)) options.Add("BatchNorm = " + Bool());
                if (Chance(0.05)) options.Add("BatchNormEpsilon = " + Any(["0.001", "0", "-1e-5", "double.NaN", "double.PositiveInfinity"]));
                if (Chance(0.05)) options.Add("BatchNormMomentum = " + Any(["0.1", "0", "1", "1.5", "-0.1", "double.NaN"]));
                return ($"Conv({string.Join(", ", options)})", "Conv");
            case 3 or 4:
                var pool = new List<string> { Number(_random.Next(1, 4)) };
                if (Chance(0.5)) pool.Add("Stride = " + Number(_random.Next(1, 3)));
                if (Chance(0.3)) pool.Add("Padding = " + Number(_random.Next(0, 2)));
                if (Chance(0.4)) pool.Add("CeilMode = " + Bool());
                return ($"{(Chance(0.5) ? "MaxPool" : "AvgPool")}({string.Join(", ", pool)})", "Pool");
            case 5 when Chance(0.4):
                var batchNorm = new List<string>();
                if (Chance(0.3)) batchNorm.Add("Epsilon = " + Any(["0.001", "1e-5", "0", "double.NaN"]));
                if (Chance(0.3)) batchNorm.Add("Momentum = " + Any(["0.1", "0.3", "1", "2"]));
                if (Chance(0.3)) batchNorm.Add("Relu = " + Bool());
                return (batchNorm.Count == 0 ? "BatchNorm" : $"BatchNorm({string.Join(", ", batchNorm)})", "BatchNormLayer");
            case 5:
                return ($"LocalResponseNorm({Number(Chance(0.9) ? 5 : _random.Next(1, 8))}{(Chance(0.3) ? ", Alpha = 1e-4f, Beta = 0.75f" : "")})", "Lrn");
            case 6 or 7:
                var widths = Enumerable.Range(0, 6).Select(i => Number(i is 1 or 3 or 5 ? _random.Next(0, 24) : _random.Next(1, 40)));
                return ($"Inception({string.Join(", ", widths)})", "Inception");
            case 8:
                return index == 0 && Chance(0.5)
                    ? ("Dropout(0.5f)", "Dropout")
                    : ($"AuxiliaryClassifier({Number(_random.Next(2, 11))}, PoolKernel = {Number(_random.Next(1, 4))}, PoolStride = {Number(_random.Next(1, 4))}, ConvChannels = {Number(16)}, HiddenUnits = {Number(Chance(0.15) ? 0 : 32)}{AuxiliaryOptions()})", "AuxiliaryClassifier");
            case 9:
                return ($"Dropout({Float()})", "Dropout");
            case 10:
                return ("GlobalAveragePool", "Pool");
            case 11:
                return ("Flatten", "Flatten");
            default:
                return ($"Linear({Number(_random.Next(1, 30))}{(Chance(0.3) ? ", Relu = true" : "")})", "Linear");
        }
    }

    /// <summary>The torchvision styles' options of an auxiliary head, good and bad values.</summary>
    private string AuxiliaryOptions()
    {
        var options = new List<string>();
        if (Chance(0.2)) options.Add("PoolOutput = " + Any(["1", "4", "0", "-1"]));
        if (Chance(0.2)) options.Add("PoolCeilMode = " + Bool());
        if (Chance(0.2)) options.Add("BatchNorm = " + Bool());
        if (Chance(0.05)) options.Add("BatchNormEpsilon = " + Any(["0.001", "0", "double.NaN"]));
        if (Chance(0.2)) options.Add("SecondConvChannels = " + Any(["0", "8", "20", "-3"]));
        if (Chance(0.15)) options.Add("SecondConvKernel = " + Any(["1", "2", "5", "0"]));
        if (Chance(0.15)) options.Add("GlobalPool = " + Bool());
        if (Chance(0.15)) options.Add("DropoutRate = " + Any(["0f", "0.7f", "1f"]));
        if (Chance(0.2)) options.Add("Names = " + Any(["AuxiliaryNames.Torchvision", "AuxiliaryNames.Caffe", "(AuxiliaryNames)5"]));
        return string.Concat(options.Select(option => ", " + option));
    }

    private string LayerName(int index, string? previous, HashSet<string> names)
    {
        var name = Pick(0.96, () => "Layer" + index, () => _random.Next(5) switch
        {
            0 => Any(s_keywords),
            1 => Any(s_generatedNames),
            2 => previous is null ? "Aux" : previous + Any(["Conv", "Hidden", "Pool", "Classifier", "Branch1"]),
            3 => previous ?? "Layer",
            _ => "Aux",
        });
        names.Add(name);
        return name;
    }

    private string PropertyModifiers()
        => Pick(0.975, () => "public partial", () => Any(["internal partial", "partial", "public required partial", "public virtual partial", "public static partial", "public new partial", "public", "protected partial"]));

    private string Accessors()
        => Pick(0.985, () => "{ get; }", () => Any(["{ get; set; }", "{ get; init; }", "{ private get; }", "{ get => null!; }"]));

    private IEnumerable<string> UserMembers()
    {
        if (Chance(0.95))
        {
            return [];
        }

        return [Any(["public void Forward() { }", "public int RunLayer0 => 1;", "public static int Summary => 0;", "private int _parameters;", "public int Running => 1;", "public Net() { }", "public void Helper() { }"])];
    }

    /// <summary>A small number, or now and then a huge, negative or zero one, in one of several spellings.</summary>
    private string Number(int usual)
    {
        if (!Chance(0.012))
        {
            return usual.ToString(CultureInfo.InvariantCulture);
        }

        return Any(["0", "-1", "-2147483648", "int.MaxValue", "1 << 30", "1 << 20", "65536", "100000", "3.5f", "\"x\"", "2_000_000_000", "(int)1e9"]);
    }

    private string Float() => Chance(0.95) ? (_random.Next(0, 9) / 10.0).ToString("0.0", CultureInfo.InvariantCulture) + "f" : Any(["float.NaN", "1f", "-0.5f", "float.PositiveInfinity", "2"]);

    private string Bool() => Chance(0.97) ? (Chance(0.5) ? "true" : "false") : "1";

    private bool Chance(double probability) => _random.NextDouble() < probability;

    private string Any(string[] choices) => choices[_random.Next(choices.Length)];

    private string Pick(double probability, Func<string> usual, Func<string> unusual) => Chance(probability) ? usual() : unusual();
}

/// <summary>What one fuzz case did wrong, if anything: the checks the fuzz test and the regression theory share.</summary>
internal static class FuzzChecks
{
    public static readonly TimeSpan MaxRun = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Runs the generator on the case; returns the problems found (none: it passed) and the generator's run time.
    /// The generated code always gets the compiler's declaration diagnostics (names, signatures, modifiers: where the
    /// campaign's failures were); with <paramref name="compileBodies"/>, every method body too, with its warnings.
    /// </summary>
    public static (List<string> Problems, TimeSpan Elapsed) Check(string[] sources, bool compileBodies = true)
    {
        var compilation = GeneratorHarness.Compile(sources);
        var driver = GeneratorHarness.CreateDriver();
        var clock = Stopwatch.StartNew();
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var elapsed = clock.Elapsed;
        if (elapsed > MaxRun)
        {
            // A second look: a slow input is slow again, while a first run's JIT or a loaded machine is not.
            clock.Restart();
            GeneratorHarness.CreateDriver().RunGenerators(compilation);
            elapsed = clock.Elapsed < elapsed ? clock.Elapsed : elapsed;
        }

        var problems = new List<string>();
        var userFiles = compilation.SyntaxTrees.Select(tree => tree.FilePath).ToHashSet();
        var result = driver.GetRunResult();
        problems.AddRange(result.Results.Select(run => run.Exception).OfType<Exception>().Select(exception => "generator exception: " + exception));
        foreach (var diagnostic in generatorDiagnostics)
        {
            if (diagnostic.Id == "CS8785" || diagnostic.Id == DiagnosticDescriptors.GeneratorFailure.Id)
            {
                problems.Add("generator failure: " + DiagnosticTests.Describe(diagnostic));
            }
            else if (!diagnostic.Id.StartsWith("IG", StringComparison.Ordinal) || !userFiles.Contains(diagnostic.Location.GetLineSpan().Path))
            {
                problems.Add("diagnostic that is not the generator's or not in the user's code: " + DiagnosticTests.Describe(diagnostic));
            }
        }

        if (elapsed > MaxRun)
        {
            problems.Add($"the generator took {elapsed.TotalMilliseconds:F0} ms (limit {MaxRun.TotalMilliseconds:F0} ms)");
        }

        // Generated code is only written for networks without IG errors, so every problem in it is the generator's:
        // one that should have been a diagnostic, or an emitter bug. Warnings count, as under TreatWarningsAsErrors.
        var generatedTrees = output.SyntaxTrees.Where(tree => tree.FilePath.EndsWith(".g.cs", StringComparison.Ordinal)).ToList();
        foreach (var tree in generatedTrees)
        {
            var model = output.GetSemanticModel(tree);
            var inTree = (compileBodies ? model.GetDiagnostics() : model.GetDeclarationDiagnostics())
                .Where(diagnostic => diagnostic.Severity >= DiagnosticSeverity.Warning).ToList();
            problems.AddRange(inTree.Take(3).Select(diagnostic => $"generated code of {Path.GetFileName(tree.FilePath)} does not compile cleanly: {DiagnosticTests.Describe(diagnostic)}"));
        }

        return (problems, elapsed);
    }

    /// <summary>The files of a case as one text, the form a regression case is saved in.</summary>
    public static string Join(string[] sources) => string.Join("\n" + FileSeparator + "\n", sources);

    public static string[] Split(string text) => text.ReplaceLineEndings("\n").Split("\n" + FileSeparator + "\n");

    private const string FileSeparator = "// ==== next file ====";
}
