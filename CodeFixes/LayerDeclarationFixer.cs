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
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace InceptionGen.CodeFixes;

/// <summary>
/// IG0002 and IG0021: declares the layer exactly as the generator's implementation part expects,
/// <c>public partial T Name { get; }</c>. It keeps the attributes, the type, the name and the layout; it drops other
/// modifiers, <c>ref</c>, bodies, initializers and accessors other than <c>get</c>, and a hand-written implementation
/// part (whose attributes move to the declaration).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LayerDeclarationFixer)), Shared]
public sealed class LayerDeclarationFixer : DeclarationFixer
{
    public const string EquivalenceKey = "InceptionGen.DeclareLayerAsPartialGetter";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        [DiagnosticDescriptors.LayerNotPartial.Id, DiagnosticDescriptors.LayerDeclarationMismatch.Id];

    internal override IEnumerable<string> EquivalenceKeys(Diagnostic diagnostic) => [EquivalenceKey];

    internal override string FixAllTitle(string equivalenceKey) => "Declare every layer as 'public partial T Name { get; }'";

    internal override async Task<DeclarationFix?> FindFixAsync(Document document, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (await LayerSyntax.FindLayerPropertyAsync(document, diagnostic, cancellationToken).ConfigureAwait(false) is not { } property
            || await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } model
            || model.GetDeclaredSymbol(property, cancellationToken) is not { } symbol)
        {
            return null;
        }

        // With a hand-written implementation part the declaration is the definition part, wherever the attribute is.
        var definitionSymbol = symbol.PartialDefinitionPart ?? symbol;
        var implementation = definitionSymbol.PartialImplementationPart is { } implementationSymbol
            ? await DeclarationOf(implementationSymbol, cancellationToken).ConfigureAwait(false)
            : null;
        var definition = implementation is null ? property : await DeclarationOf(definitionSymbol, cancellationToken).ConfigureAwait(false) ?? property;

        var solution = document.Project.Solution;
        var edits = new List<DeclarationEdit>();
        if (implementation is not null && solution.GetDocument(implementation.SyntaxTree) is { } implementationDocument)
        {
            edits.Add(new DeclarationEdit(implementationDocument.Id, implementation, "remove", static (editor, node) => editor.RemoveNode(node)));
        }

        if (solution.GetDocument(definition.SyntaxTree) is not { } definitionDocument)
        {
            return null;
        }

        var movedAttributes = implementation?.AttributeLists ?? default;
        edits.Add(new DeclarationEdit(definitionDocument.Id, definition, "declare",
            (editor, node) => editor.ReplaceNode(node, (current, _) => AsPartialGetter((PropertyDeclarationSyntax)current, movedAttributes))));
        var type = definition.Type is RefTypeSyntax refType ? refType.Type : definition.Type;
        var name = definition.Identifier.ValueText;
        return new DeclarationFix($"Declare '{name}' as 'public partial {type} {name} {{ get; }}'", edits);
    }

    private static async Task<PropertyDeclarationSyntax?> DeclarationOf(IPropertySymbol property, CancellationToken cancellationToken)
    {
        var reference = property.DeclaringSyntaxReferences.FirstOrDefault();
        return reference is null ? null : await reference.GetSyntaxAsync(cancellationToken).ConfigureAwait(false) as PropertyDeclarationSyntax;
    }

    /// <summary><c>public partial T Name { get; }</c> from any property declaration, keeping its trivia where it can.</summary>
    internal static PropertyDeclarationSyntax AsPartialGetter(PropertyDeclarationSyntax property, SyntaxList<AttributeListSyntax> movedAttributes)
    {
        var type = property.Type is RefTypeSyntax refType ? refType.Type.WithLeadingTrivia(refType.GetLeadingTrivia()) : property.Type;
        var leading = property.Modifiers.Count > 0 ? property.Modifiers[0].LeadingTrivia : type.GetLeadingTrivia();
        var modifiers = TokenList(
            Token(leading, SyntaxKind.PublicKeyword, TriviaList(Space)),
            Token(TriviaList(), SyntaxKind.PartialKeyword, TriviaList(Space)));

        var attributes = property.AttributeLists;
        if (movedAttributes.Count > 0)
        {
            var separator = attributes.Count > 0 ? attributes.Last().GetTrailingTrivia() : TriviaList(Space);
            attributes = attributes.AddRange(movedAttributes.Select(list => list.WithoutTrivia().WithTrailingTrivia(separator)));
        }

        // An initializer or expression body ends with ';', whose trailing trivia (the line end) goes to the '}'.
        var end = property.SemicolonToken.IsKind(SyntaxKind.None) ? default : property.SemicolonToken.TrailingTrivia;
        AccessorListSyntax accessors;
        if (property.AccessorList is { } list)
        {
            var closeBrace = property.SemicolonToken.IsKind(SyntaxKind.None) ? list.CloseBraceToken : list.CloseBraceToken.WithTrailingTrivia(end);
            accessors = list.WithAccessors(SingletonList(GetOnly(list))).WithCloseBraceToken(closeBrace);
        }
        else
        {
            accessors = AccessorList(
                Token(TriviaList(), SyntaxKind.OpenBraceToken, TriviaList(Space)),
                SingletonList(GetAccessor(default, default, TriviaList(Space))),
                Token(TriviaList(), SyntaxKind.CloseBraceToken, end));
        }

        var identifier = property.Identifier;
        if (property.AccessorList is null && !identifier.TrailingTrivia.Any())
        {
            identifier = identifier.WithTrailingTrivia(Space);
        }

        return property
            .WithAttributeLists(attributes)
            .WithModifiers(modifiers)
            .WithType(type.WithLeadingTrivia())
            .WithIdentifier(identifier)
            .WithAccessorList(accessors)
            .WithExpressionBody(null)
            .WithInitializer(null)
            .WithSemicolonToken(Token(SyntaxKind.None));
    }

    /// <summary>The list's <c>get</c> accessor without modifiers or body (or a new one), in the place of all its accessors.</summary>
    private static AccessorDeclarationSyntax GetOnly(AccessorListSyntax list)
    {
        var get = list.Accessors.FirstOrDefault(accessor => accessor.IsKind(SyntaxKind.GetAccessorDeclaration));
        var template = get ?? list.Accessors.FirstOrDefault();
        if (template is null)
        {
            return GetAccessor(default, default, TriviaList(Space));
        }

        var leading = template.Modifiers.Count > 0 ? template.Modifiers[0].LeadingTrivia : template.Keyword.LeadingTrivia;
        return GetAccessor(get?.AttributeLists ?? default, leading, template.GetLastToken().TrailingTrivia);
    }

    private static AccessorDeclarationSyntax GetAccessor(SyntaxList<AttributeListSyntax> attributes, SyntaxTriviaList leading, SyntaxTriviaList trailing)
        => AccessorDeclaration(SyntaxKind.GetAccessorDeclaration)
            .WithAttributeLists(attributes)
            .WithKeyword(Token(attributes.Count > 0 ? default : leading, SyntaxKind.GetKeyword, TriviaList()))
            .WithSemicolonToken(Token(TriviaList(), SyntaxKind.SemicolonToken, trailing));
}
