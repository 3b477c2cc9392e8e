using System.Collections.Generic;
using System.Linq;
using System.Threading;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InceptionGen.Generator.Parsing;

/// <summary>
/// Checks that the user's half of a network fits the half the generator writes: each layer property is declared
/// exactly as the generated implementation part (IG0021), the class can take the generated constructor (IG0017),
/// and no class, member or base-class member takes the name of a generated member (IG0022). Without them the
/// generated file would not compile, and the errors would point into generated code.
/// </summary>
internal static class DeclarationChecks
{
    /// <summary>Reports how a layer's defining declaration differs from <c>public partial T Name { get; }</c>.</summary>
    public static void CheckLayerProperty(IPropertySymbol property, PropertyDeclarationSyntax declaration, string propertyType, LocationInfo? location,
        List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        void Report(string problem)
            => diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerDeclarationMismatch, location, property.Name, problem, propertyType));

        if (property.DeclaredAccessibility != Accessibility.Public)
        {
            Report($"is {AccessibilityText(declaration.Modifiers)}, not public");
        }

        foreach (var modifier in declaration.Modifiers.Where(modifier => !modifier.IsKind(SyntaxKind.PartialKeyword) && !IsAccessModifier(modifier)))
        {
            if (!modifier.IsKind(SyntaxKind.StaticKeyword))
            {
                Report($"is '{modifier.Text}'");
            }
        }

        if (declaration.Type is RefTypeSyntax)
        {
            Report("returns by reference");
        }

        var accessors = declaration.AccessorList?.Accessors ?? default;
        if (declaration.ExpressionBody is not null || accessors.Any(accessor => accessor.Body is not null || accessor.ExpressionBody is not null))
        {
            Report("has a body; the generator writes it");
        }

        foreach (var accessor in accessors.Where(accessor => !accessor.IsKind(SyntaxKind.GetAccessorDeclaration)))
        {
            Report($"has a '{accessor.Keyword.Text}' accessor");
        }

        if (accessors.Any(accessor => accessor.IsKind(SyntaxKind.GetAccessorDeclaration) && accessor.Modifiers.Count > 0))
        {
            Report("has a modifier on its 'get' accessor");
        }

        if (property.PartialImplementationPart is not null)
        {
            Report("is implemented by hand; the generator writes its implementation");
        }
    }

    /// <summary>Checks the class and its other members against what the generated part declares.</summary>
    public static void CheckMembers(INamedTypeSymbol type, LocationInfo? classLocation, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        var parts = type.DeclaringSyntaxReferences.Select(reference => reference.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().ToList();
        if (parts.Any(part => part.ParameterList is not null))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDeclaration, classLocation, type.Name,
                "has a primary constructor, which the generated constructor cannot call; declare the class without parameters"));
        }

        if (type.BaseType is { SpecialType: not SpecialType.System_Object, TypeKind: TypeKind.Class } baseType)
        {
            if (baseType.GetAttributes().Any(Parser.IsNetworkAttribute))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDeclaration, classLocation, type.Name,
                    $"derives from the network '{baseType.Name}', whose generated members it would hide; derive both from a common base class instead"));
            }
            else if (!baseType.InstanceConstructors.Any(constructor => constructor.DeclaredAccessibility is not Accessibility.Private
                         && constructor.Parameters.All(parameter => parameter.IsOptional || parameter.IsParams)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDeclaration, classLocation, type.Name,
                    $"derives from '{baseType.Name}', which has no accessible parameterless constructor for the generated constructor to call"));
            }
        }

        if (GeneratedMembers.IsTaken(type.Name))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NameTakenByGeneratedMember, classLocation, "The class", type.Name, type.Name));
        }

        // Names first: a layer's attributes are bound only when its name is taken (binding runs on every edit).
        foreach (var member in type.GetMembers().Where(member => GeneratedMembers.IsTaken(member.Name) && !member.IsImplicitlyDeclared && !IsLayer(member)))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NameTakenByGeneratedMember, LocationInfo.From(member.Locations.FirstOrDefault()), "Member", member.Name, type.Name));
        }

        // Inherited members would be hidden by the generated ones (warning CS0108 in generated code).
        for (var ancestor = type.BaseType; ancestor is not null && ancestor.SpecialType != SpecialType.System_Object; ancestor = ancestor.BaseType)
        {
            foreach (var member in ancestor.GetMembers().Where(member => member.DeclaredAccessibility != Accessibility.Private && !member.IsImplicitlyDeclared && GeneratedMembers.IsTaken(member.Name)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NameTakenByGeneratedMember, classLocation, $"Member inherited from '{ancestor.Name}'", member.Name, type.Name));
            }
        }
    }

    /// <summary>The namespaces the generated code names from the global namespace (<c>global::System</c>, <c>global::InceptionGen</c>).</summary>
    private static readonly string[] s_namespacesTheCodeUses = ["System", "InceptionGen"];

    /// <summary>Whether the node declares a type in the global namespace named like a namespace the generated code uses.</summary>
    public static bool HidesANamespaceTheCodeUses(SyntaxNode node)
        => node.Parent is CompilationUnitSyntax
            && node switch
            {
                BaseTypeDeclarationSyntax type => s_namespacesTheCodeUses.Contains(type.Identifier.ValueText),
                DelegateDeclarationSyntax type => s_namespacesTheCodeUses.Contains(type.Identifier.ValueText),
                _ => false,
            };

    /// <summary>IG0017 at a type found by <see cref="HidesANamespaceTheCodeUses"/>.</summary>
    public static DiagnosticInfo HidingTypeDiagnostic(SyntaxNode node)
    {
        var identifier = node is BaseTypeDeclarationSyntax type ? type.Identifier : ((DelegateDeclarationSyntax)node).Identifier;
        return DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDeclaration, LocationInfo.From(identifier.GetLocation()), identifier.ValueText,
            $"is a type in the global namespace, which hides the namespace 'global::{identifier.ValueText}' that the code generated for every network uses; declare it in a namespace");
    }

    private static bool IsLayer(ISymbol member)
        => member is IPropertySymbol property && property.GetAttributes().Any(Parser.IsLayerAttribute);

    private static bool IsAccessModifier(SyntaxToken modifier)
        => modifier.Kind() is SyntaxKind.PublicKeyword or SyntaxKind.InternalKeyword or SyntaxKind.ProtectedKeyword or SyntaxKind.PrivateKeyword;

    private static string AccessibilityText(SyntaxTokenList modifiers)
    {
        var access = modifiers.Where(IsAccessModifier).Select(modifier => modifier.Text).ToList();
        return access.Count == 0 ? "private (no access modifier)" : string.Join(" ", access);
    }
}
