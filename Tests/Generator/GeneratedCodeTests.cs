using System.CodeDom.Compiler;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using InceptionGen.Definitions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;


namespace InceptionGen.Tests.Generator;

/// <summary>
/// Properties of the generated code itself: it compiles cleanly, no method is too large for the JIT to
/// optimize, every public member is marked generated, and GoogLeNet's counts are the paper's.
/// </summary>
public sealed class GeneratedCodeTests(ITestOutputHelper output)
{
    // ---- (a) it compiles without warnings ----------------------------------------------------------

    [Theory]
    [InlineData("GoogLeNet.cs", 1)]
    [InlineData("LectureModules.cs", 2)]
    public void GeneratedCodeCompilesWithoutWarningsOrErrors(string definition, int networks)
    {
        var result = GeneratorHarness.Run(RepositoryFiles.ReadText("Definitions", definition));

        Assert.Empty(result.Exceptions);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Equal(networks, result.GeneratedSources.Count);
        AssertNoProblems(result.CompilationProblems, "at the harness's warning level");

        // Every warning the compiler knows, including the newer warning waves.
        var strict = result.Output.WithOptions(((CSharpCompilationOptions)result.Output.Options).WithWarningLevel(9999));
        AssertNoProblems(strict.GetDiagnostics().Where(diagnostic => diagnostic.Severity >= DiagnosticSeverity.Warning).ToList(), "at warning level 9999");
    }

    private static void AssertNoProblems(IReadOnlyList<Diagnostic> problems, string when)
        => Assert.True(problems.Count == 0, $"{problems.Count} warnings or errors {when}:\n{string.Join("\n", problems.Take(20))}");

    // ---- (b) no method is past the JIT's limits ---------------------------------------------------------

    /// <summary>
    /// RyuJIT compiles a method without optimizations (MinOpts) when its IL exceeds 60,000 bytes or it has
    /// more than 2,000 locals (DEFAULT_MIN_OPTS_CODE_SIZE, DEFAULT_MIN_OPTS_LV_NUM_COUNT). The generated
    /// methods, static constructor included, must stay below both.
    /// </summary>
    [Theory]
    [InlineData(typeof(GoogLeNet))]
    [InlineData(typeof(NaiveInceptionModule))]
    [InlineData(typeof(BottleneckInceptionModule))]
    [InlineData(typeof(InceptionGen.Tests.Network.SmallBatchNormNet))]
    public void NoGeneratedMethodIsPastTheJitLimits(Type network)
    {
        const int maxIlBytes = 60_000;
        const int maxLocals = 2_000;

        // The network's own methods, and the register tiles its assembly's networks share.
        var tiles = network.Assembly.GetTypes().Single(type => type.Namespace == "InceptionGen.Generated" && type.Name.StartsWith("RegisterTiles", StringComparison.Ordinal));
        var methods = DeclaredMethods(network).Concat(DeclaredMethods(tiles)).ToList();
        var sizes = methods
            .Select(method => (Method: method, Body: method.GetMethodBody()))
            .Where(entry => entry.Body is not null)
            .Select(entry => (Name: Describe(entry.Method), IlBytes: entry.Body!.GetILAsByteArray()?.Length ?? 0, Locals: entry.Body.LocalVariables.Count))
            .OrderByDescending(entry => entry.IlBytes)
            .ToList();

        // The check must see the generated code: the forward pass and the static constructor that builds the tables.
        Assert.Contains(sizes, entry => entry.Name.EndsWith(".Forward", StringComparison.Ordinal));
        Assert.Contains(sizes, entry => entry.Name.EndsWith("..cctor", StringComparison.Ordinal));
        foreach (var (name, ilBytes, locals) in sizes.Take(5))
        {
            output.WriteLine($"{name}: {ilBytes:N0} bytes of IL, {locals} locals");
        }

        var offenders = sizes
            .Where(entry => entry.IlBytes >= maxIlBytes || entry.Locals >= maxLocals)
            .Select(entry => $"{entry.Name}: {entry.IlBytes:N0} bytes of IL (limit {maxIlBytes:N0}), {entry.Locals} locals (limit {maxLocals:N0})")
            .ToList();
        Assert.True(offenders.Count == 0, "generated methods past the JIT's limits:\n" + string.Join("\n", offenders));
    }

    /// <summary>Methods and constructors of the type and of its nested (compiler-generated) types.</summary>
    private static IEnumerable<MethodBase> DeclaredMethods(Type type)
    {
        const BindingFlags all = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
        foreach (var method in type.GetMethods(all))
        {
            yield return method;
        }

        foreach (var constructor in type.GetConstructors(all))
        {
            yield return constructor;
        }

        foreach (var nested in type.GetNestedTypes(all))
        {
            foreach (var method in DeclaredMethods(nested))
            {
                yield return method;
            }
        }
    }

    private static string Describe(MethodBase method) => $"{method.DeclaringType!.FullName}.{method.Name}";

    // ---- (c) [GeneratedCode] and the auto-generated header ----------------------------------------------

    [Theory]
    [InlineData("GoogLeNet.cs", typeof(GoogLeNet))]
    [InlineData("LectureModules.cs", typeof(NaiveInceptionModule))]
    [InlineData("LectureModules.cs", typeof(BottleneckInceptionModule))]
    public void EveryPublicGeneratedMemberHasTheGeneratedCodeAttribute(string definition, Type network)
    {
        // The members the generated file declares, from the generator run on the definition ...
        var result = GeneratorHarness.Run(RepositoryFiles.ReadText("Definitions", definition));
        var hintName = network.FullName + ".g.cs";
        var tree = result.Output.SyntaxTrees.Single(tree => tree.FilePath.EndsWith(hintName, StringComparison.Ordinal));
        var semanticModel = result.Output.GetSemanticModel(tree);
        var generated = tree.GetRoot().DescendantNodes().OfType<MemberDeclarationSyntax>()
            .Where(member => member is not BaseTypeDeclarationSyntax and not BaseNamespaceDeclarationSyntax)
            .SelectMany(member => member is BaseFieldDeclarationSyntax field
                ? field.Declaration.Variables.Select(variable => semanticModel.GetDeclaredSymbol(variable))
                : [semanticModel.GetDeclaredSymbol(member)])
            .OfType<ISymbol>()
            .Where(symbol => symbol.DeclaredAccessibility == Accessibility.Public && symbol.ContainingType.Name == network.Name)
            .ToList();
        foreach (var expected in new[] { "ParameterCount", "MultiplyAdds", "Summary", "Forward", "ParameterTensors", ".ctor" })
        {
            Assert.Contains(generated, symbol => symbol.Name == expected);
        }

        // ... checked on the compiled type of the Definitions project.
        var missing = new List<string>();
        foreach (var symbol in generated)
        {
            var members = RuntimeMembers(network, symbol);
            Assert.True(members.Count > 0, $"{network.Name}.{symbol.Name} ({symbol.Kind}) is generated but not found on the compiled type");
            missing.AddRange(members
                .Where(member => member.GetCustomAttribute<GeneratedCodeAttribute>() is not { Tool: "InceptionGen" })
                .Select(member => $"{network.Name}.{member.Name} ({member.MemberType})"));
        }

        Assert.True(missing.Count == 0, "public generated members without [GeneratedCode(\"InceptionGen\", ...)]:\n" + string.Join("\n", missing));
    }

    private static List<MemberInfo> RuntimeMembers(Type type, ISymbol symbol)
    {
        const BindingFlags flags = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static;
        return symbol switch
        {
            IFieldSymbol => [.. type.GetFields(flags).Where(field => field.Name == symbol.Name)],
            IPropertySymbol => [.. type.GetProperties(flags).Where(property => property.Name == symbol.Name)],
            IMethodSymbol { MethodKind: MethodKind.Constructor } => [.. type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)],
            IMethodSymbol => [.. type.GetMethods(flags).Where(method => method.Name == symbol.Name)],
            IEventSymbol => [.. type.GetEvents(flags).Where(e => e.Name == symbol.Name)],
            _ => [],
        };
    }

    [Theory]
    [InlineData("GoogLeNet.cs")]
    [InlineData("LectureModules.cs")]
    public void GeneratedFilesStartWithTheAutoGeneratedMarker(string definition)
    {
        var result = GeneratorHarness.Run(RepositoryFiles.ReadText("Definitions", definition));

        Assert.NotEmpty(result.GeneratedSources);
        foreach (var (hintName, source) in result.GeneratedSources)
        {
            Assert.True(source.StartsWith("// <auto-generated/>\n", StringComparison.Ordinal),
                $"{hintName} starts with: {source[..Math.Min(60, source.Length)]}");
        }
    }

    [Fact]
    public void SmallNetworkFileStartsWithTheAutoGeneratedMarker()
    {
        var source = Assert.Single(GeneratorHarness.Run(SnapshotTests.SmallNetworkSource).GeneratedSources).Value;
        Assert.StartsWith("// <auto-generated/>\n", source, StringComparison.Ordinal);
    }

    // ---- (d) GoogLeNet's counts are the paper's ------------------------------------------------------------

    [Fact]
    public void GoogLeNetTotalsAreThePapers()
    {
        var reference = ReferenceCounts.Load();
        var paper = reference.Section("paper");
        var withAuxiliary = reference.Section("paper_with_aux");

        AssertCount("ParameterCount", paper["params"], GoogLeNet.ParameterCount);
        AssertCount("ParameterCountWithAuxiliary", withAuxiliary["params"], GoogLeNet.ParameterCountWithAuxiliary);
        AssertCount("ConvolutionMultiplyAdds", paper["conv_macs"], GoogLeNet.ConvolutionMultiplyAdds);
        AssertCount("LinearMultiplyAdds", paper["fc_macs"], GoogLeNet.LinearMultiplyAdds);
        AssertCount("MultiplyAdds", paper["macs_conv_plus_fc"], GoogLeNet.MultiplyAdds);
        AssertCount("AuxiliaryMultiplyAdds", withAuxiliary["macs_conv_plus_fc"] - paper["macs_conv_plus_fc"], GoogLeNet.AuxiliaryMultiplyAdds);

        // A training step's direct work: forward with the heads, input and weight gradients.
        var withAuxiliaryText = File.ReadAllText(ReferenceCounts.FilePath).Split("== paper_with_aux")[1].Split("\n== ")[0];
        var trainStep = System.Text.RegularExpressions.Regex.Match(withAuxiliaryText, @"train step MACs/image[^\n]*?([\d,]+)\s*$", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(trainStep.Success, $"no 'train step MACs/image' line under paper_with_aux in {ReferenceCounts.FilePath}");
        AssertCount("Summary.TrainingMultiplyAdds", long.Parse(trainStep.Groups[1].Value.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture), GoogLeNet.Summary.TrainingMultiplyAdds);

        // The runtime summary carries the same totals.
        var summary = GoogLeNet.Summary;
        AssertCount("Summary.ParameterCount", paper["params"], summary.ParameterCount);
        AssertCount("Summary.ParameterCountWithAuxiliary", withAuxiliary["params"], summary.ParameterCountWithAuxiliary);
        AssertCount("Summary.ConvolutionMultiplyAdds", paper["conv_macs"], summary.ConvolutionMultiplyAdds);
        AssertCount("Summary.LinearMultiplyAdds", paper["fc_macs"], summary.LinearMultiplyAdds);
        AssertCount("Summary.MultiplyAdds", paper["macs_conv_plus_fc"], summary.MultiplyAdds);

        // The auxiliary heads' own rows add up to the difference between the two Caffe models.
        var auxiliaryRows = summary.Layers.Where(row => row.Auxiliary && row.Depth == 1).ToList();
        AssertCount("auxiliary convolution rows", withAuxiliary["conv_macs"] - paper["conv_macs"], auxiliaryRows.Where(row => row.Kind.StartsWith("conv", StringComparison.Ordinal)).Sum(row => row.MultiplyAdds));
        AssertCount("auxiliary linear rows", withAuxiliary["fc_macs"] - paper["fc_macs"], auxiliaryRows.Where(row => row.Kind == "linear").Sum(row => row.MultiplyAdds));
    }

    private static void AssertCount(string what, long paper, long generated)
        => Assert.True(paper == generated, $"GoogLeNet {what}: generated {generated:N0}, paper {paper:N0} (difference {generated - paper:N0})");

    [Fact]
    public void GoogLeNetLayersAreThePapers()
    {
        var table = ReferenceCounts.Load().PaperLayers;
        Assert.True(table.Count >= 50, $"only {table.Count} rows read from the per-layer table");
        var rows = GoogLeNet.Summary.Layers.Where(row => !row.Auxiliary).ToDictionary(row => row.Name);

        var mismatches = new List<string>();
        foreach (var reference in table)
        {
            var name = SummaryName(reference.CaffeName);
            if (!rows.TryGetValue(name, out var row))
            {
                mismatches.Add($"{reference.CaffeName} → {name}: no such row in GoogLeNet.Summary");
                continue;
            }

            var kind = SummaryKind(reference.CaffeKind);
            // The kind without the algorithm the planner chose (" winograd F(2,3)"): the paper names the layer, not how it runs.
            var algorithm = row.Kind.IndexOf(" winograd", StringComparison.Ordinal);
            if ((algorithm < 0 ? row.Kind : row.Kind[..algorithm]) != kind)
            {
                mismatches.Add($"{reference.CaffeName} → {name}: kind {row.Kind}, paper {kind}");
            }

            if (row.Parameters != reference.Parameters)
            {
                mismatches.Add($"{reference.CaffeName} → {name}: {row.Parameters:N0} parameters, paper {reference.Parameters:N0}");
            }

            if (row.MultiplyAdds != reference.MultiplyAdds)
            {
                mismatches.Add($"{reference.CaffeName} → {name}: {row.MultiplyAdds:N0} multiply-adds, paper {reference.MultiplyAdds:N0}");
            }
        }

        // And the other way: every inference convolution and linear layer of the summary is in the table.
        var covered = table.Select(reference => SummaryName(reference.CaffeName)).ToHashSet();
        mismatches.AddRange(rows.Values
            .Where(row => row.Kind.StartsWith("conv", StringComparison.Ordinal) || row.Kind == "linear")
            .Where(row => !covered.Contains(row.Name))
            .Select(row => $"{row.Name}: in GoogLeNet.Summary but not in the paper's table"));

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    /// <summary>Caffe's bvlc_googlenet layer name → the summary row name, e.g. inception_3a/3x3_reduce → Inception3a.Branch2Reduce.</summary>
    internal static string SummaryName(string caffeName)
    {
        switch (caffeName)
        {
            case "conv1/7x7_s2": return "Conv1";
            case "conv2/3x3_reduce": return "Conv2Reduce";
            case "conv2/3x3": return "Conv2";
            case "loss3/classifier": return "Classifier";
        }

        var match = Regex.Match(caffeName, @"^inception_(\d[a-z])/(1x1|3x3_reduce|3x3|5x5_reduce|5x5|pool_proj)$");
        Assert.True(match.Success, $"unknown Caffe layer name '{caffeName}'");
        var part = match.Groups[2].Value switch
        {
            "1x1" => "Branch1",
            "3x3_reduce" => "Branch2Reduce",
            "3x3" => "Branch2",
            "5x5_reduce" => "Branch3Reduce",
            "5x5" => "Branch3",
            _ => "Branch4Projection",
        };
        return $"Inception{match.Groups[1].Value}.{part}";
    }

    /// <summary>conv3x3/1 → conv 3x3/1; fc → linear.</summary>
    private static string SummaryKind(string caffeKind) => caffeKind == "fc" ? "linear" : caffeKind.Replace("conv", "conv ", StringComparison.Ordinal);

    [Fact]
    public void SummaryNameMapsEveryCaffeNameKind()
    {
        Assert.Equal("Inception3a.Branch2Reduce", SummaryName("inception_3a/3x3_reduce"));
        Assert.Equal("Inception4e.Branch2", SummaryName("inception_4e/3x3"));
        Assert.Equal("Inception5b.Branch3Reduce", SummaryName("inception_5b/5x5_reduce"));
        Assert.Equal("Inception3b.Branch3", SummaryName("inception_3b/5x5"));
        Assert.Equal("Inception4a.Branch4Projection", SummaryName("inception_4a/pool_proj"));
        Assert.Equal("Inception4c.Branch1", SummaryName("inception_4c/1x1"));
        Assert.Equal("Conv1", SummaryName("conv1/7x7_s2"));
        Assert.Equal("Conv2Reduce", SummaryName("conv2/3x3_reduce"));
        Assert.Equal("Conv2", SummaryName("conv2/3x3"));
        Assert.Equal("Classifier", SummaryName("loss3/classifier"));
    }

    [Fact]
    public void LectureModulesMatchTheCs231nFigures()
    {
        var reference = ReferenceCounts.Load();
        AssertLectureModule(reference.Lecture("naive"), NaiveInceptionModule.OutputChannels, NaiveInceptionModule.ConvolutionMultiplyAdds, NaiveInceptionModule.Summary);
        AssertLectureModule(reference.Lecture("bottleneck"), BottleneckInceptionModule.OutputChannels, BottleneckInceptionModule.ConvolutionMultiplyAdds, BottleneckInceptionModule.Summary);
    }

    private static void AssertLectureModule(LectureFigures figures, int outputChannels, long convolutionMultiplyAdds, NetworkSummary summary)
    {
        Assert.True(figures.OutputDepth == outputChannels, $"{summary.NetworkName}: {outputChannels} output channels, lecture {figures.OutputDepth}");
        Assert.True(figures.TotalMultiplyAdds == convolutionMultiplyAdds, $"{summary.NetworkName}: {convolutionMultiplyAdds:N0} convolution multiply-adds, lecture {figures.TotalMultiplyAdds:N0}");
        Assert.True(figures.TotalMultiplyAdds == summary.MultiplyAdds, $"{summary.NetworkName}: summary says {summary.MultiplyAdds:N0} multiply-adds, lecture {figures.TotalMultiplyAdds:N0}");

        // Each convolution of the slide, by kind and width, against its summary row.
        var rows = summary.Layers.ToDictionary(row => row.Name);
        foreach (var term in figures.Terms)
        {
            var name = "Module." + LectureTermPart(term.Description);
            Assert.True(rows.TryGetValue(name, out var row), $"{summary.NetworkName}: '{term.Description}' → {name}: no such row");
            Assert.True(term.MultiplyAdds == row!.MultiplyAdds, $"{summary.NetworkName}: '{term.Description}' → {name}: {row.MultiplyAdds:N0} multiply-adds, lecture {term.MultiplyAdds:N0}");
            Assert.True(term.Channels == row.OutputShape.Channels, $"{summary.NetworkName}: '{term.Description}' → {name}: {row.OutputShape.Channels} channels, lecture {term.Channels}");
        }

        Assert.Equal(summary.Layers.Count(row => row.Kind.StartsWith("conv", StringComparison.Ordinal)), figures.Terms.Count);
    }

    /// <summary>"1x1 conv 64 (before 3x3)" → Branch2Reduce, "5x5 conv 96 on 64" → Branch3, "1x1 conv 64 after pool" → Branch4Projection.</summary>
    private static string LectureTermPart(string description)
    {
        if (description.Contains("before 3x3", StringComparison.Ordinal))
        {
            return "Branch2Reduce";
        }

        if (description.Contains("before 5x5", StringComparison.Ordinal))
        {
            return "Branch3Reduce";
        }

        if (description.Contains("after pool", StringComparison.Ordinal))
        {
            return "Branch4Projection";
        }

        return description[..3] switch
        {
            "1x1" => "Branch1",
            "3x3" => "Branch2",
            "5x5" => "Branch3",
            _ => throw new InvalidDataException($"unknown lecture term '{description}'"),
        };
    }
}

/// <summary>One row of the "paper, per layer" table.</summary>
internal sealed record PaperLayer(string CaffeName, string CaffeKind, long MultiplyAdds, long Parameters);

/// <summary>One convolution of a cs231n module: "3x3 conv 192 on 64  86,704,128".</summary>
internal sealed record LectureTerm(string Description, int Channels, long MultiplyAdds);

/// <summary>A cs231n section: its total, its output depth and its terms.</summary>
internal sealed record LectureFigures(long TotalMultiplyAdds, int OutputDepth, IReadOnlyList<LectureTerm> Terms);

/// <summary>
/// The reference counts in ../shared/reference/googlenet-counts.txt (beside the repository root), read
/// at test time: sections "== name" with "metric analytic N ..." lines, the cs231n module sections, and
/// the per-layer table of the paper's GoogLeNet.
/// </summary>
internal sealed partial class ReferenceCounts
{
    private readonly Dictionary<string, Dictionary<string, long>> _metrics = new();
    private readonly Dictionary<string, LectureFigures> _lectures = new();

    public List<PaperLayer> PaperLayers { get; } = [];

    public static string FilePath => Path.GetFullPath(Path.Combine(RepositoryFiles.Root, "..", "shared", "reference", "googlenet-counts.txt"));

    public static ReferenceCounts Load()
    {
        var path = FilePath;
        Assert.True(File.Exists(path),
            $"The reference counts file is missing: {path}. It lives in shared/reference/ beside the repository root (CI copies shared/ beside the clone); the GoogLeNet count tests read their expected numbers from it.");
        return Parse(File.ReadAllLines(path), path);
    }

    public SectionMetrics Section(string name)
    {
        Assert.True(_metrics.TryGetValue(name, out var metrics), $"no section '== {name}' with analytic counts in {FilePath}");
        return new SectionMetrics(name, metrics!);
    }

    public LectureFigures Lecture(string name)
    {
        Assert.True(_lectures.TryGetValue(name, out var figures), $"no section '== cs231n {name}: ...' in {FilePath}");
        return figures!;
    }

    private static ReferenceCounts Parse(string[] lines, string path)
    {
        var counts = new ReferenceCounts();
        string? section = null;
        List<LectureTerm>? terms = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("== ", StringComparison.Ordinal))
            {
                section = line[3..].Trim();
                terms = null;
                var lecture = LectureHeader().Match(section);
                if (lecture.Success)
                {
                    terms = [];
                    counts._lectures[lecture.Groups["name"].Value] = new LectureFigures(Number(lecture.Groups["total"].Value), (int)Number(lecture.Groups["depth"].Value), terms);
                }

                continue;
            }

            if (section is null || line.Trim().Length == 0)
            {
                continue;
            }

            if (terms is not null)
            {
                var term = LectureTermLine().Match(line);
                Assert.True(term.Success, $"{path}: cannot read the line '{line}' of section '{section}'");
                terms.Add(new LectureTerm(term.Groups["description"].Value, (int)Number(term.Groups["channels"].Value), Number(term.Groups["macs"].Value)));
            }
            else if (section.StartsWith("paper, per layer", StringComparison.Ordinal))
            {
                var row = PerLayerRow().Match(line);
                if (row.Success)
                {
                    counts.PaperLayers.Add(new PaperLayer(row.Groups["name"].Value, row.Groups["kind"].Value, Number(row.Groups["macs"].Value), Number(row.Groups["params"].Value)));
                }
                else
                {
                    Assert.True(line.TrimStart().StartsWith("layer ", StringComparison.Ordinal), $"{path}: cannot read the per-layer row '{line}'");
                }
            }
            else
            {
                var metric = AnalyticMetric().Match(line);
                if (metric.Success)
                {
                    if (!counts._metrics.TryGetValue(section, out var metrics))
                    {
                        counts._metrics[section] = metrics = new Dictionary<string, long>();
                    }

                    metrics[metric.Groups["metric"].Value] = Number(metric.Groups["value"].Value);
                }
            }
        }

        return counts;
    }

    private static long Number(string text) => long.Parse(text.Replace(",", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^cs231n (?<name>\w+): total (?<total>[\d,]+) multiplies.*output depth (?<depth>\d+)")]
    private static partial Regex LectureHeader();

    [GeneratedRegex(@"^\s+(?<description>\dx\d conv (?<channels>\d+).*?)\s{2,}(?<macs>[\d,]+)\s*$")]
    private static partial Regex LectureTermLine();

    [GeneratedRegex(@"^(?<name>[a-z0-9_]+/[a-z0-9_]+)\s+(?<kind>\S+)\s+(?<macs>[\d,]+)\s+(?<params>[\d,]+)\s*$")]
    private static partial Regex PerLayerRow();

    [GeneratedRegex(@"^\s+(?<metric>\w+)\s+analytic\s+(?<value>[\d,]+)")]
    private static partial Regex AnalyticMetric();

    /// <summary>A section's "analytic" metrics; a missing one fails naming the file and the section.</summary>
    internal sealed class SectionMetrics(string section, Dictionary<string, long> metrics)
    {
        public long this[string metric]
        {
            get
            {
                Assert.True(metrics.TryGetValue(metric, out var value), $"no '{metric} analytic ...' line in section '== {section}' of {FilePath}");
                return value;
            }
        }
    }
}

/// <summary>The names IG0019 reserves are exactly the public members the emitter writes.</summary>
public sealed class GeneratedMemberNamesTests
{
    [Fact]
    public void ReservedNamesAreThePublicMembersOfAGeneratedNetwork()
    {
        var type = typeof(InceptionGen.Definitions.GoogLeNet);
        var generated = type.GetMembers(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.DeclaredOnly)
            .Where(member => member is not System.Reflection.ConstructorInfo)
            .Where(member => !(member is System.Reflection.PropertyInfo property && typeof(Layer).IsAssignableFrom(property.PropertyType)))
            .Where(member => !(member is System.Reflection.MethodInfo method && method.IsSpecialName))
            .Select(member => member.Name)
            .ToHashSet();
        Assert.Equal(generated.Order(), InceptionGen.Generator.Model.GeneratedMembers.Names.Order());
    }
}
