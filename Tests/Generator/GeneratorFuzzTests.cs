using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace InceptionGen.Tests.Generator;

/// <summary>
/// Fuzzes the generator with <see cref="GeneratorFuzzer"/>'s random and mutated definitions: 2,000 cases from a
/// fixed seed in every run; <c>INCEPTIONGEN_FUZZ_CASES</c> and <c>INCEPTIONGEN_FUZZ_SEED</c> ask for more or
/// others. A case fails on a generator exception, CS8785 or IG0016, a run over 2 s, or generated code that does
/// not compile cleanly (an accepted network's, or one beside a network with IG errors). Failing cases are written
/// to the test output folder, ready to be copied into <c>Tests/Generator/FuzzRegressions/</c>, whose files
/// <see cref="RegressionCase_PassesTheFuzzChecks"/> runs in every build.
/// </summary>
public sealed class GeneratorFuzzTests
{
    private const int DefaultCases = 2_000;
    private const int DefaultSeed = 17;

    /// <summary>
    /// Every accepted network's generated code gets the compiler's declaration diagnostics; the method bodies of one
    /// case in this many are compiled too (all of them with INCEPTIONGEN_FUZZ_BODIES_EVERY=1), to keep the run within
    /// minutes: a body costs about a second to compile on a loaded 2-core machine.
    /// </summary>
    private const int DefaultBodiesEvery = 25;

    private static readonly string s_regressions = Path.Combine(RepositoryRoot.Path, "Tests", "Generator", "FuzzRegressions");

    [Fact]
    public void RandomAndMutatedDefinitions_NeverBreakTheGenerator()
    {
        var cases = EnvironmentNumber("INCEPTIONGEN_FUZZ_CASES", DefaultCases);
        var seed = EnvironmentNumber("INCEPTIONGEN_FUZZ_SEED", DefaultSeed);
        var bodiesEvery = EnvironmentNumber("INCEPTIONGEN_FUZZ_BODIES_EVERY", DefaultBodiesEvery);
        var fuzzer = new GeneratorFuzzer(seed);
        var inputs = Enumerable.Range(0, cases).Select(_ => fuzzer.NextCase()).ToList();

        // The first run of the generator JITs it: not a run to hold to the time limit.
        FuzzChecks.Check(GeneratorFuzzer.WarmUpCase);

        var clock = Stopwatch.StartNew();
        var outcomes = new (List<string> Problems, TimeSpan Elapsed)[cases];
        Parallel.For(0, cases, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            index => outcomes[index] = FuzzChecks.Check(inputs[index], compileBodies: index % bodiesEvery == 0));

        var failures = new List<string>();
        for (var index = 0; index < cases; index++)
        {
            if (outcomes[index].Problems.Count > 0)
            {
                var path = Path.Combine(AppContext.BaseDirectory, "fuzz-failures", $"seed{seed}-case{index}.cs");
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, FuzzChecks.Join(inputs[index]));
                failures.Add($"case {index} ({path}):\n  {string.Join("\n  ", outcomes[index].Problems)}");
            }
        }

        var slowest = outcomes.Max(outcome => outcome.Elapsed);
        TestContext.Current.SendDiagnosticMessage($"{cases} fuzz cases (seed {seed}) in {clock.Elapsed.TotalSeconds:F1} s; slowest generator run {slowest.TotalMilliseconds:F0} ms");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} cases (seed {seed}) failed:\n{string.Join("\n", failures.Take(10))}");
    }

    [Fact]
    public void TheFuzzer_IsDeterministic_AndMutates()
    {
        var first = new GeneratorFuzzer(5);
        var second = new GeneratorFuzzer(5);
        var cases = Enumerable.Range(0, 200).Select(_ => FuzzChecks.Join(first.NextCase())).ToList();
        Assert.Equal(cases, Enumerable.Range(0, 200).Select(_ => FuzzChecks.Join(second.NextCase())));

        // The mutations the campaign found trouble with do occur.
        var all = string.Join("\n", cases);
        foreach (var mutation in new[] { "int.MaxValue", "@class", "[Network(", "Summary", "required", "{ get; set; }", "(int size)", "Bases.NeedsSize" })
        {
            Assert.Contains(mutation, all);
        }
    }

    public static TheoryData<string> RegressionCases
        => [.. Directory.Exists(s_regressions) ? Directory.GetFiles(s_regressions, "*.cs").Select(Path.GetFileName).Order(StringComparer.Ordinal).Select(name => name!) : []];

    [Theory]
    [MemberData(nameof(RegressionCases))]
    public void RegressionCase_PassesTheFuzzChecks(string file)
    {
        var (problems, _) = FuzzChecks.Check(FuzzChecks.Split(File.ReadAllText(Path.Combine(s_regressions, file))));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static int EnvironmentNumber(string name, int fallback)
        => int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;
}
