using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InceptionGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InceptionGen.CodeFixes;

/// <summary>IG0001: adds <c>partial</c> to every declaration of the network class that lacks it, in whichever file it is.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(NetworkPartialFixer)), Shared]
public sealed class NetworkPartialFixer : DeclarationFixer
{
    public const string EquivalenceKey = "InceptionGen.MakeNetworkPartial";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [DiagnosticDescriptors.NetworkNotPartial.Id];

    internal override IEnumerable<string> EquivalenceKeys(Diagnostic diagnostic) => [EquivalenceKey];

    internal override string FixAllTitle(string equivalenceKey) => "Make every network class partial";

    internal override async Task<DeclarationFix?> FindFixAsync(Document document, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || !LayerSyntax.IsIn(diagnostic, root))
        {
            return null;
        }

        // Reported at the class name.
        var declaration = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().FirstOrDefault();
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (declaration is null || model?.GetDeclaredSymbol(declaration, cancellationToken) is not INamedTypeSymbol network)
        {
            return null;
        }

        var edits = new List<DeclarationEdit>();
        foreach (var reference in network.DeclaringSyntaxReferences)
        {
            if (await reference.GetSyntaxAsync(cancellationToken).ConfigureAwait(false) is TypeDeclarationSyntax part
                && !part.Modifiers.Any(SyntaxKind.PartialKeyword)
                && document.Project.Solution.GetDocument(part.SyntaxTree) is { } partDocument)
            {
                edits.Add(new DeclarationEdit(partDocument.Id, part, "partial",
                    static (editor, node) => editor.ReplaceNode(node, static (current, _) => AddPartial((TypeDeclarationSyntax)current))));
            }
        }

        return new DeclarationFix($"Make '{network.Name}' partial", edits);
    }

    /// <summary>Adds <c>partial</c> last, right before <c>class</c>, where C# requires it.</summary>
    private static TypeDeclarationSyntax AddPartial(TypeDeclarationSyntax declaration)
    {
        if (declaration.Modifiers.Count == 0)
        {
            // The keyword's indentation moves to 'partial'.
            var partialFirst = SyntaxFactory.Token(declaration.Keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
            return declaration.WithKeyword(declaration.Keyword.WithLeadingTrivia()).WithModifiers(SyntaxFactory.TokenList(partialFirst));
        }

        var partial = SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
        return declaration.WithModifiers(declaration.Modifiers.Add(partial));
    }
}
