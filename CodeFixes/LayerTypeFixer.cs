using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using InceptionGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Simplification;

namespace InceptionGen.CodeFixes;

/// <summary>
/// IG0003: changes the layer property's type to the one its attribute requires (<c>[MaxPool]</c> → <c>Pool</c>), which
/// the generator passes in the diagnostic's <see cref="DiagnosticDescriptors.LayerTypeProperty"/> property.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LayerTypeFixer)), Shared]
public sealed class LayerTypeFixer : DeclarationFixer
{
    public const string EquivalenceKey = "InceptionGen.ChangeLayerType";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [DiagnosticDescriptors.LayerWrongType.Id];

    internal override IEnumerable<string> EquivalenceKeys(Diagnostic diagnostic) => [EquivalenceKey];

    internal override string FixAllTitle(string equivalenceKey) => "Give every layer the property type its attribute requires";

    internal override async Task<DeclarationFix?> FindFixAsync(Document document, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(DiagnosticDescriptors.LayerTypeProperty, out var layerType)
            || layerType is null || !SyntaxFacts.IsValidIdentifier(layerType)
            || await LayerSyntax.FindLayerPropertyAsync(document, diagnostic, cancellationToken).ConfigureAwait(false) is not { } property)
        {
            return null;
        }

        var edit = new DeclarationEdit(document.Id, property.Type, "type:" + layerType, (editor, node) => editor.ReplaceNode(node, (current, _) =>
            // Fully qualified, then simplified to 'Pool' where the usings allow it.
            SyntaxFactory.ParseTypeName("global::InceptionGen." + layerType)
                .WithTriviaFrom(current)
                .WithAdditionalAnnotations(Simplifier.Annotation)));
        return new DeclarationFix($"Change the type of '{property.Identifier.ValueText}' to '{layerType}'", [edit]);
    }
}
