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
using Microsoft.CodeAnalysis.Simplification;

namespace InceptionGen.CodeFixes;

/// <summary>
/// IG0008: inserts a layer that turns the map into a vector right before the Linear layer: <c>[GlobalAveragePool]</c>
/// (C features, GoogLeNet's choice, offered first) or <c>[Flatten]</c> (C·H·W features). The new layer is declared
/// like the Linear one (same line layout and indentation) under a name no member of the class has.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LinearInputFixer)), Shared]
public sealed class LinearInputFixer : DeclarationFixer
{
    public const string GlobalAveragePoolKey = "InceptionGen.AddGlobalAveragePool";
    public const string FlattenKey = "InceptionGen.AddFlatten";

    /// <summary>Per fix: the attribute, the property type and the stem of the new layer's name.</summary>
    private static readonly Dictionary<string, (string Attribute, string Type, string Stem)> s_layers = new()
    {
        [GlobalAveragePoolKey] = ("GlobalAveragePool", "Pool", "Pool"),
        [FlattenKey] = ("Flatten", "Flatten", "Flatten"),
    };

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [DiagnosticDescriptors.LinearOnSpatialMap.Id];

    internal override IEnumerable<string> EquivalenceKeys(Diagnostic diagnostic) => [GlobalAveragePoolKey, FlattenKey];

    internal override string FixAllTitle(string equivalenceKey) => $"Add [{s_layers[equivalenceKey].Attribute}] before every Linear layer fed a map";

    internal override async Task<DeclarationFix?> FindFixAsync(Document document, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (!s_layers.TryGetValue(equivalenceKey, out var layer)
            || await LayerSyntax.FindLayerPropertyAsync(document, diagnostic, cancellationToken).ConfigureAwait(false) is not { } linear
            || linear.Parent is not TypeDeclarationSyntax declaration
            || await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } model
            || model.GetDeclaredSymbol(declaration, cancellationToken) is not INamedTypeSymbol network)
        {
            return null;
        }

        var name = LayerSyntax.FreeName(network, LayerSyntax.Numbered(layer.Stem));
        var edit = new DeclarationEdit(document.Id, linear, "insert:" + name,
            (editor, node) => editor.InsertBefore(node, NewLayer((PropertyDeclarationSyntax)node, layer.Attribute, layer.Type, name)));
        return new DeclarationFix($"Add [{layer.Attribute}] layer '{name}' before '{linear.Identifier.ValueText}'", [edit]);
    }

    /// <summary>
    /// <c>[Attribute] public partial Type Name { get; }</c> laid out like <paramref name="linear"/>: its indentation, and the
    /// attribute on the same line or the line above as the Linear's. The Linear keeps its own comments and blank lines.
    /// </summary>
    private static PropertyDeclarationSyntax NewLayer(PropertyDeclarationSyntax linear, string attribute, string type, string name)
    {
        var leading = linear.GetLeadingTrivia();
        var indentation = leading.Count > 0 && leading.Last().IsKind(SyntaxKind.WhitespaceTrivia) ? leading.Last().ToString() : "";
        var lineEnd = linear.GetTrailingTrivia().FirstOrDefault(trivia => trivia.IsKind(SyntaxKind.EndOfLineTrivia)).ToString();
        lineEnd = lineEnd.Length > 0 ? lineEnd : "\n";
        var attributeOnItsOwnLine = linear.AttributeLists.Count > 0 && linear.AttributeLists.Last().GetTrailingTrivia().Any(SyntaxKind.EndOfLineTrivia);
        var separator = attributeOnItsOwnLine ? lineEnd + indentation : " ";

        var text = $"{indentation}[global::InceptionGen.{attribute}]{separator}public partial global::InceptionGen.{type} {name} {{ get; }}{lineEnd}";
        var declaration = (PropertyDeclarationSyntax)SyntaxFactory.ParseMemberDeclaration(text)!;
        // Written fully qualified, simplified to [GlobalAveragePool] and Pool where the usings allow it.
        return declaration
            .ReplaceNodes(declaration.DescendantNodes().OfType<QualifiedNameSyntax>().Where(qualified => qualified.Parent is not QualifiedNameSyntax),
                (_, qualified) => qualified.WithAdditionalAnnotations(Simplifier.Annotation));
    }
}
