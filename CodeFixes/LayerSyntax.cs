using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InceptionGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InceptionGen.CodeFixes;

/// <summary>What the fixers read from a declaration: the layer a diagnostic points at, and names free to give.</summary>
internal static class LayerSyntax
{
    /// <summary>The property whose layer attribute (or identifier) the diagnostic is reported at, if any.</summary>
    public static async Task<PropertyDeclarationSyntax?> FindLayerPropertyAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return root is null || !IsIn(diagnostic, root) ? null : root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)
            .AncestorsAndSelf()
            .OfType<PropertyDeclarationSyntax>()
            .FirstOrDefault();
    }

    /// <summary>
    /// Whether the diagnostic's span lies in <paramref name="root"/>'s document. The generator reports at a file path
    /// and span (its models hold no syntax tree), which the IDE maps to the document before it asks for fixes.
    /// </summary>
    public static bool IsIn(Diagnostic diagnostic, SyntaxNode root)
        => diagnostic.Location.Kind is LocationKind.SourceFile or LocationKind.ExternalFile
            && (diagnostic.Location.SourceTree is null || diagnostic.Location.SourceTree == root.SyntaxTree)
            && root.FullSpan.Contains(diagnostic.Location.SourceSpan);

    /// <summary>The first of <paramref name="candidates"/> that no member of the class, no base-class member and no generated member has.</summary>
    public static string FreeName(INamedTypeSymbol network, IEnumerable<string> candidates)
    {
        var taken = new HashSet<string>(network.MemberNames) { network.Name };
        for (var ancestor = network.BaseType; ancestor is not null; ancestor = ancestor.BaseType)
        {
            taken.UnionWith(ancestor.MemberNames);
        }

        return candidates.First(name => SyntaxFacts.IsValidIdentifier(name)
            && SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None
            && SyntaxFacts.GetContextualKeywordKind(name) == SyntaxKind.None
            && !taken.Contains(name)
            && !GeneratedMembers.IsTaken(name));
    }

    /// <summary><paramref name="stem"/>, then <c>stem2</c>, <c>stem3</c>, ... without end.</summary>
    public static IEnumerable<string> Numbered(string stem) => new[] { stem }.Concat(Counting(stem, 2));

    /// <summary><c>stem</c> followed by <paramref name="first"/>, <paramref name="first"/> + 1, ... without end.</summary>
    public static IEnumerable<string> Counting(string stem, int first)
    {
        for (var number = first; ; number++)
        {
            yield return stem + number;
        }
    }

    /// <summary>A name's stem and its trailing number: <c>Conv1</c> is (<c>Conv</c>, 1); <c>Pool</c> is (<c>Pool</c>, null).</summary>
    public static (string Stem, int? Number) SplitNumber(string name)
    {
        var end = name.Length;
        while (end > 0 && char.IsDigit(name[end - 1]))
        {
            end--;
        }

        return end < name.Length && end > 0 && int.TryParse(name.Substring(end), out var number) && number < int.MaxValue / 2
            ? (name.Substring(0, end), number)
            : (name, null);
    }

    /// <summary>The attribute's name as written, without qualification or the <c>Attribute</c> suffix: <c>Conv</c> for <c>[InceptionGen.ConvAttribute(16)]</c>.</summary>
    public static string ShortName(AttributeSyntax attribute)
    {
        var name = attribute.Name switch
        {
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax aliased => aliased.Name.Identifier.ValueText,
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            _ => attribute.Name.ToString(),
        };
        return name.EndsWith("Attribute", System.StringComparison.Ordinal) && name.Length > "Attribute".Length ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }
}
