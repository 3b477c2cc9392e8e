using Microsoft.CodeAnalysis;
using System.Linq;
using Microsoft.CodeAnalysis.Text;

namespace InceptionGen.Generator.Model;

/// <summary>A source location as plain values, so models stay equatable and hold no syntax tree.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan TextSpan, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, TextSpan, LineSpan);

    public static LocationInfo? From(Location? location)
    {
        if (location?.SourceTree is null)
        {
            return null;
        }

        return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }

    public static LocationInfo? From(SyntaxNode? node) => From(node?.GetLocation());
}

/// <summary>A diagnostic as plain values: which descriptor, where, and the message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params object?[] arguments)
        => new(descriptor.Id, location, arguments.Select(argument => argument?.ToString() ?? "").ToEquatableArray());

    public Diagnostic ToDiagnostic()
        => Diagnostic.Create(Diagnostics.DiagnosticDescriptors.ById(Id), Location?.ToLocation(),
            Diagnostics.DiagnosticDescriptors.FixProperties(Id, Arguments), Arguments.ToArray<object?>());
}
