using System.Text.RegularExpressions;
using InceptionGen.Tests.Generator;
using Xunit;

namespace InceptionGen.Tests.Modules;

/// <summary>The module examples of README.md and docs/modules.md, run through the generator as they are written.</summary>
public sealed class ModuleDocsTests
{
    [Fact]
    public void The_docs_page_example_generates_without_diagnostics_and_compiles()
    {
        var example = CodeBlocks(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "modules.md")))[0];

        var result = GeneratorHarness.Run(example);

        Assert.Empty(result.Exceptions);
        Assert.Empty(result.GeneratorDiagnostics.Select(DiagnosticTests.Describe));
        Assert.Contains("SixB.g.cs", result.GeneratedSources.Keys);
        Assert.Contains("\"Mixed_6c.branch7x7dbl_5.bn.running_var\"", result.GeneratedSources["SixB.g.cs"]);
        Assert.Contains("\"fc.weight\"", result.GeneratedSources["SixB.g.cs"]);
        Assert.Empty(result.CompilationProblems.Select(DiagnosticTests.Describe));
    }

    [Fact]
    public void The_README_s_typo_gives_the_diagnostic_the_README_shows()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md")).ReplaceLineEndings("\n");
        var section = readme[readme.IndexOf("## Declare your own module", StringComparison.Ordinal)..];
        var blocks = CodeBlocks(section);
        var module = blocks[0].Replace("PaddingWidth = 3, BatchNorm = true, Name = \"branch7x7_2\"", "PaddingWidth = 2, BatchNorm = true, Name = \"branch7x7_2\"", StringComparison.Ordinal);
        Assert.NotEqual(blocks[0], module);
        var source = "using InceptionGen;\n\n" + module + "\n[Network(Channels = 768, Height = 17, Width = 17)]\npublic sealed partial class SixB\n{\n" + blocks[1]
            + "\n    [GlobalAveragePool] public partial Pool Pool { get; }\n    [Linear(1000)] public partial Linear Classifier { get; }\n}\n";
        var expected = Regex.Match(section, @"error IG0025: (.*)").Groups[1].Value;

        var result = GeneratorHarness.Run(source);

        Assert.Empty(result.Exceptions);
        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("IG0025", diagnostic.Id);
        Assert.Equal(expected, diagnostic.GetMessage());
        Assert.StartsWith("InceptionC(Channels7x7 = 128", source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length), StringComparison.Ordinal);

        // Without the typo, the four uses generate.
        var fixedResult = GeneratorHarness.Run(source.Replace(module, blocks[0], StringComparison.Ordinal));
        Assert.Empty(fixedResult.GeneratorDiagnostics.Select(DiagnosticTests.Describe));
        Assert.Contains("\"Mixed_6e.branch7x7_2.conv.weight\"", fixedResult.GeneratedSources["SixB.g.cs"]);
    }

    private static List<string> CodeBlocks(string markdown)
        => Regex.Matches(markdown.ReplaceLineEndings("\n"), "```csharp\n(.*?)```", RegexOptions.Singleline).Select(match => match.Groups[1].Value).ToList();
}
