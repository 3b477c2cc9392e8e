using Microsoft.CodeAnalysis;

namespace InceptionGen.Generator.Parsing;

/// <summary>
/// Compares a type with a name in the <c>InceptionGen</c> namespace without formatting it: the parse transform runs
/// again on every edit (for every network, on each new compilation), and <c>ToDisplayString</c> on each attribute
/// and property type was most of its cost.
/// </summary>
internal static class SymbolNames
{
    public const string Namespace = "InceptionGen";

    /// <summary>Whether <paramref name="type"/> is <c>global::InceptionGen.<paramref name="name"/></c>.</summary>
    public static bool IsInceptionGenType(ITypeSymbol? type, string name) => type?.Name == name && IsInInceptionGenNamespace(type);

    /// <summary>Whether <paramref name="type"/> is a top-level type of <c>global::InceptionGen</c>.</summary>
    public static bool IsInInceptionGenNamespace(ITypeSymbol? type)
        => type is not null
            && type.ContainingType is null
            && type.ContainingNamespace is { Name: Namespace } containing
            && containing.ContainingNamespace is { IsGlobalNamespace: true };
}
