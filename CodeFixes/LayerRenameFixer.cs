using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InceptionGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Rename;

namespace InceptionGen.CodeFixes;

/// <summary>
/// IG0009 and IG0019: renames a layer to a name no member of the class and no generated member has.
/// <list type="bullet">
/// <item>IG0009 (a duplicate, at the second declaration): only that declaration is renamed, to the next free number
/// (<c>Conv1</c> → <c>Conv2</c>); the references cannot tell the two apart, so they stay.</item>
/// <item>IG0019 (a generated member's name): the layer and every reference to it are renamed, to the name with its
/// layer type added (<c>Forward</c> → <c>ForwardConv</c>) or without the reserved <c>__</c> prefix.</item>
/// </list>
/// No fix-all: each rename picks a name, which the user should see.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LayerRenameFixer)), Shared]
public sealed class LayerRenameFixer : CodeFixProvider
{
    public const string EquivalenceKey = "InceptionGen.RenameLayer";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        [DiagnosticDescriptors.DuplicateLayerName.Id, DiagnosticDescriptors.ReservedLayerName.Id];

    public override FixAllProvider? GetFixAllProvider() => null;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var document = context.Document;
        var cancellationToken = context.CancellationToken;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (await LayerSyntax.FindLayerPropertyAsync(document, diagnostic, cancellationToken).ConfigureAwait(false) is not { } property
                || property.Parent is not TypeDeclarationSyntax declaration
                || await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } model
                || model.GetDeclaredSymbol(declaration, cancellationToken) is not INamedTypeSymbol network)
            {
                continue;
            }

            var name = property.Identifier.ValueText;
            if (diagnostic.Id == DiagnosticDescriptors.DuplicateLayerName.Id)
            {
                var (stem, number) = LayerSyntax.SplitNumber(name);
                var newName = LayerSyntax.FreeName(network, number is { } last ? LayerSyntax.Counting(stem, last + 1) : LayerSyntax.Counting(stem, 2));
                context.RegisterCodeFix(CodeAction.Create($"Rename the second '{name}' to '{newName}'",
                    _ => Task.FromResult(RenameDeclaration(document, property, newName)), EquivalenceKey), diagnostic);
            }
            else if (model.GetDeclaredSymbol(property, cancellationToken) is { } layer)
            {
                var newName = LayerSyntax.FreeName(network, Candidates(name, LayerTypeName(layer, property)));
                var solution = document.Project.Solution;
                context.RegisterCodeFix(CodeAction.Create($"Rename layer '{name}' to '{newName}'",
                    token => Renamer.RenameSymbolAsync(solution, layer.PartialDefinitionPart ?? layer, new SymbolRenameOptions(), newName, token), EquivalenceKey), diagnostic);
            }
        }
    }

    /// <summary>Renames the identifier of one declaration and nothing else.</summary>
    private static Document RenameDeclaration(Document document, PropertyDeclarationSyntax property, string newName)
    {
        var root = property.SyntaxTree.GetRoot();
        var identifier = SyntaxFactory.Identifier(newName).WithTriviaFrom(property.Identifier);
        return document.WithSyntaxRoot(root.ReplaceToken(property.Identifier, identifier));
    }

    /// <summary>
    /// For a reserved name: without the <c>__</c> prefix if that leaves a name, then the name with the layer type
    /// added (<c>ForwardConv</c>), then that numbered.
    /// </summary>
    private static IEnumerable<string> Candidates(string name, string layerType)
    {
        var stripped = name.TrimStart('_');
        if (stripped.Length > 0 && stripped != name)
        {
            yield return stripped;
        }

        var stem = stripped.Length == 0 ? layerType : stripped + layerType;
        foreach (var candidate in LayerSyntax.Numbered(stem))
        {
            yield return candidate;
        }
    }

    /// <summary>The layer's InceptionGen type (<c>Conv</c>), or the short name of its attribute when the type is another.</summary>
    private static string LayerTypeName(IPropertySymbol layer, PropertyDeclarationSyntax property)
    {
        if (layer.Type is INamedTypeSymbol { TypeKind: not TypeKind.Error, ContainingNamespace: { Name: "InceptionGen", ContainingNamespace.IsGlobalNamespace: true } } type)
        {
            return type.Name;
        }

        var attribute = property.AttributeLists.SelectMany(list => list.Attributes).FirstOrDefault();
        return attribute is null ? "Layer" : LayerSyntax.ShortName(attribute);
    }
}
