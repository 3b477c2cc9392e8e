using System.Text.RegularExpressions;
using InceptionGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Xunit;

namespace InceptionGen.Tests.Generator;

/// <summary>
/// Keeps docs/diagnostics and AnalyzerReleases.Shipped.md in step with <see cref="DiagnosticDescriptors"/>, and
/// runs every documented example through the generator: the "Bad" one must report its ID, the "Fixed" one nothing.
/// </summary>
public sealed class DiagnosticDocsTests
{
    private static readonly string s_docs = Path.Combine(RepositoryRoot.Path, "docs", "diagnostics");

    public static TheoryData<string> Ids => [.. DiagnosticDescriptors.All.Select(descriptor => descriptor.Id)];

    public static TheoryData<string> IdsWithExamples => [.. DiagnosticDescriptors.All.Select(descriptor => descriptor.Id).Where(id => id != DiagnosticDescriptors.GeneratorFailure.Id)];

    [Theory]
    [MemberData(nameof(Ids))]
    public void EveryDescriptor_HasAPage_TitledWithItsIdAndTitle_AndItsSeverity(string id)
    {
        var descriptor = DiagnosticDescriptors.ById(id);
        var path = Path.Combine(s_docs, id + ".md");
        Assert.True(File.Exists(path), $"{id} has no page {path}");

        var lines = File.ReadAllLines(path);
        Assert.Contains(id, lines[0]);
        Assert.Contains(descriptor.Title.ToString(), lines[0]);
        Assert.StartsWith("# ", lines[0]);
        Assert.Contains($"| **Severity** | {descriptor.DefaultSeverity} |", lines);
        Assert.Equal(DiagnosticDescriptors.HelpLink(id), descriptor.HelpLinkUri);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void EveryDescriptor_HasAShippedReleaseRow_WithTheSameSeverityAndCategory(string id)
    {
        var descriptor = DiagnosticDescriptors.ById(id);
        var row = Assert.Single(ShippedRows(), row => row[0] == id);

        Assert.Equal(descriptor.Category, row[1]);
        Assert.Equal(descriptor.DefaultSeverity.ToString(), row[2]);
    }

    [Fact]
    public void EveryShippedRowAndEveryPage_HasADescriptor()
    {
        var ids = DiagnosticDescriptors.All.Select(descriptor => descriptor.Id).ToHashSet();

        Assert.All(ShippedRows(), row => Assert.Contains(row[0], ids));
        Assert.All(Directory.GetFiles(s_docs, "*.md").Select(Path.GetFileNameWithoutExtension).Where(name => name != "README"), name => Assert.Contains(name!, ids));
    }

    [Fact]
    public void TheIndex_ListsEveryDescriptorOnce_WithItsSeverityAndALinkToItsPage()
    {
        var readme = File.ReadAllLines(Path.Combine(s_docs, "README.md"));
        foreach (var descriptor in DiagnosticDescriptors.All)
        {
            var row = Assert.Single(readme, line => line.StartsWith($"| [{descriptor.Id}]", StringComparison.Ordinal));
            Assert.Contains($"]({descriptor.Id}.md) | {descriptor.DefaultSeverity} | {descriptor.Title} |", row);
        }
    }

    [Theory]
    [MemberData(nameof(IdsWithExamples))]
    public void TheBadExample_ReportsItsIdAndNothingElse_WithTheDocumentedMessage(string id)
    {
        var page = Page(id);
        var bad = CodeBlockAfter(page, "Bad");
        Assert.Contains("using InceptionGen;", bad);

        var result = GeneratorHarness.Run(bad);

        Assert.Empty(result.Exceptions);
        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticDescriptors.ById(id).DefaultSeverity, diagnostic.Severity);
        Assert.Equal(BlockQuoteAfter(page, "Message"), diagnostic.GetMessage());
    }

    [Theory]
    [MemberData(nameof(IdsWithExamples))]
    public void TheFixedExample_ReportsNothing_AndCompiles(string id)
    {
        var @fixed = CodeBlockAfter(Page(id), "Fixed");
        Assert.Contains("using InceptionGen;", @fixed);

        var result = GeneratorHarness.Run(@fixed);

        Assert.Empty(result.Exceptions);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.NotEmpty(result.GeneratedSources);
        Assert.Empty(result.CompilationProblems.Where(problem => problem.Severity == DiagnosticSeverity.Error).Select(DiagnosticTests.Describe));
    }

    [Theory]
    [MemberData(nameof(IdsWithExamples))]
    public void TheExamples_AreExactlyTheOnesTheDiagnosticTestsUse(string id)
    {
        var page = Page(id);
        var example = DiagnosticExamples.ById[id];

        Assert.Equal(Normalize(MarkedSource.Parse(example.Bad).Text), Normalize(CodeBlockAfter(page, "Bad")));
        Assert.Equal(Normalize(example.Fixed), Normalize(CodeBlockAfter(page, "Fixed")));
    }

    [Fact]
    public void TheGeneratorFailurePage_HasNoExample_AndSaysHowToReportAndDebug()
    {
        var page = Page(DiagnosticDescriptors.GeneratorFailure.Id);

        Assert.DoesNotMatch(new Regex(@"^#+\s*(Bad|Fixed)\b", RegexOptions.Multiline), page);
        Assert.Contains("## How to report it", page);
        Assert.Contains("EmitCompilerGeneratedFiles", page);
        Assert.Contains("obj/<Configuration>/<TargetFramework>/generated/InceptionGen.Generator/InceptionGen.Generator.InceptionGenerator/", page);
        Assert.Contains("GeneratorHarness.Run", page);
    }

    // ---- markdown ------------------------------------------------------------------------------

    private static string Page(string id) => File.ReadAllText(Path.Combine(s_docs, id + ".md")).ReplaceLineEndings("\n");

    /// <summary>The first ```csharp block after the heading that starts with <paramref name="heading"/>.</summary>
    private static string CodeBlockAfter(string page, string heading)
    {
        var lines = page.Split('\n');
        var start = HeadingIndex(lines, heading);
        var open = Array.FindIndex(lines, start, line => line.Trim() == "```csharp");
        Assert.True(open > start, $"No ```csharp block after the \"{heading}\" heading");
        var close = Array.FindIndex(lines, open + 1, line => line.Trim() == "```");
        Assert.True(close > open, "Unclosed code block");
        return string.Join("\n", lines[(open + 1)..close]);
    }

    /// <summary>The text of the first "> ..." line after the heading that starts with <paramref name="heading"/>.</summary>
    private static string BlockQuoteAfter(string page, string heading)
    {
        var lines = page.Split('\n');
        var start = HeadingIndex(lines, heading);
        var quote = Array.FindIndex(lines, start, line => line.StartsWith("> ", StringComparison.Ordinal));
        Assert.True(quote > start, $"No quote after the \"{heading}\" heading");
        return lines[quote][2..].Trim();
    }

    private static int HeadingIndex(string[] lines, string heading)
    {
        var index = Array.FindIndex(lines, line => Regex.IsMatch(line, @"^#{2,}\s+" + Regex.Escape(heading) + @"\b"));
        Assert.True(index >= 0, $"No \"{heading}\" heading");
        return index;
    }

    private static string Normalize(string code)
        => string.Join("\n", code.ReplaceLineEndings("\n").Split('\n').Select(line => line.TrimEnd())).Trim();

    /// <summary>The rule rows of AnalyzerReleases.Shipped.md and .Unshipped.md: ID, category, severity, notes.</summary>
    private static List<string[]> ShippedRows()
        => new[] { "Shipped", "Unshipped" }
            .SelectMany(release => File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "Generator", $"AnalyzerReleases.{release}.md")))
            .Where(line => Regex.IsMatch(line, @"^IG\d{4}\s*\|"))
            .Select(line => line.Split('|').Select(cell => cell.Trim()).ToArray())
            .ToList();
}
