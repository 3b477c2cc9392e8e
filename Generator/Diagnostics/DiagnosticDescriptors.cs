using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace InceptionGen.Generator.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports, in one place. Each ID has a page
/// <c>docs/diagnostics/IGxxxx.md</c> with a bad and a fixed example, and a row in AnalyzerReleases.Shipped.md.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "InceptionGen";

    // An error means the generator wrote nothing for the network, so the build cannot succeed anyway: users may not
    // downgrade it (as the Regex generator marks its errors), or the missing code surfaces as CS9248 at every layer.
    private static readonly string[] s_errorTags = [WellKnownDiagnosticTags.NotConfigurable];

    public static readonly DiagnosticDescriptor NetworkNotPartial = Error("IG0001",
        "Network class must be partial",
        "Network class '{0}' must be declared 'partial' so that the generator can add its forward pass");

    public static readonly DiagnosticDescriptor LayerNotPartial = Error("IG0002",
        "Layer property must be partial",
        "Layer '{0}' must be a partial property: 'public partial {1} {0} {{ get; }}'");

    public static readonly DiagnosticDescriptor LayerWrongType = Error("IG0003",
        "Layer attribute on a property of the wrong type",
        "Layer '{0}' carries [{1}], so its property must be of type '{2}', not '{3}'");

    public static readonly DiagnosticDescriptor NonPositiveValue = Error("IG0004",
        "Size must be positive",
        "{0} of '{1}' must be {2}, but is {3}");

    public static readonly DiagnosticDescriptor EmptyOutput = Error("IG0005",
        "Layer output would be empty",
        "Layer '{0}' would produce an empty output: {1} on a {2} input gives {3}");

    public static readonly DiagnosticDescriptor AuxiliaryWithoutTap = Error("IG0006",
        "Auxiliary classifier has no layer to tap",
        "Auxiliary classifier '{0}' has no layer above it to tap; declare it right after the layer whose output it classifies");

    public static readonly DiagnosticDescriptor AuxiliaryAfterClassifier = Error("IG0007",
        "Auxiliary classifier after the final classifier",
        "Auxiliary classifier '{0}' comes after '{1}', which already reduced the map to a vector; place it after a convolutional layer in the middle of the network");

    public static readonly DiagnosticDescriptor LinearOnSpatialMap = Error("IG0008",
        "Linear layer fed by a spatial map",
        "Linear layer '{0}' is fed a {1} map by '{2}'; add [GlobalAveragePool] (or [Flatten]) before it");

    public static readonly DiagnosticDescriptor DuplicateLayerName = Error("IG0009",
        "Duplicate layer name",
        "Layer '{0}' is declared more than once in network '{1}'; each layer needs its own name");

    public static readonly DiagnosticDescriptor NoLayers = Error("IG0010",
        "Network has no layers",
        "Network '{0}' has no layers; add partial properties with layer attributes such as [Conv(64, Kernel = 7, Stride = 2, Padding = 3)]");

    public static readonly DiagnosticDescriptor InvalidOptionValue = Error("IG0011",
        "Invalid option value",
        "{0} of '{1}' is {2}; {3}");

    public static readonly DiagnosticDescriptor MultipleLayerAttributes = Error("IG0012",
        "More than one layer attribute on a property",
        "Property '{0}' carries more than one layer attribute ({1}); a property is exactly one layer");

    public static readonly DiagnosticDescriptor InvalidInceptionWidths = Error("IG0013",
        "Inception module widths do not fit together",
        "Inception module '{0}': {1}");

    public static readonly DiagnosticDescriptor SpatialLayerOnVector = Error("IG0014",
        "Spatial layer fed by a vector",
        "Layer '{0}' needs a spatial map, but '{1}' outputs a vector ({2}); declare it before '{1}'");

    public static readonly DiagnosticDescriptor PaddedBranch = new("IG0015",
        "Inception branch width is not a multiple of 16",
        "Branch '{0}' is {1} channels wide, not a multiple of 16; its slice of the concat is padded to {2} channels, and the next layer reads {3} zero channels",
        Category, DiagnosticSeverity.Info, isEnabledByDefault: true, helpLinkUri: HelpLink("IG0015"));

    public static readonly DiagnosticDescriptor GeneratorFailure = Error("IG0016",
        "The generator failed",
        "The InceptionGen generator failed on '{0}' ({1}); nothing was generated for it. Please report this with the declaration.");

    public static readonly DiagnosticDescriptor UnsupportedDeclaration = Error("IG0017",
        "Unsupported network declaration",
        "'{0}' {1}");

    public static readonly DiagnosticDescriptor TooLarge = Error("IG0018",
        "Network too large",
        "{0} of network '{1}' needs {2} floats, over the limit of {3}; use a smaller input or fewer channels");

    public static readonly DiagnosticDescriptor ReservedLayerName = Error("IG0019",
        "Layer name taken by a generated member",
        "Layer '{0}' has the name of a member the generator writes on every network; rename the layer");

    public static readonly DiagnosticDescriptor OverLimit = Error("IG0020",
        "Value over the generator's limit",
        "{0} of '{1}' is {2}, over the generator's limit of {3}");

    public static readonly DiagnosticDescriptor LayerDeclarationMismatch = Error("IG0021",
        "Layer property not declared as the generator declares it",
        "Layer '{0}' {1}; declare it exactly as 'public partial {2} {0} {{ get; }}'");

    public static readonly DiagnosticDescriptor NameTakenByGeneratedMember = Error("IG0022",
        "Name taken by a generated member",
        "{0} '{1}' has the name of a member the generator writes on network '{2}'; rename it");

    public static readonly DiagnosticDescriptor NoSpatialLayer = Error("IG0023",
        "Network without a layer on the input map",
        "Network '{0}' has no convolution, pool or other layer that reads the input map; a network of only [Dropout], [Linear] or [Flatten] layers on a vector input is not supported, so start it with such a layer");

    public static readonly DiagnosticDescriptor ConflictingDimension = Error("IG0024",
        "Square and per-dimension values disagree",
        "'{0}' sets {1} = {2} and {3} = {4}; set the square {1}, or {1}Height and {1}Width, but not both with different values");

    public static readonly DiagnosticDescriptor BranchSizesDiffer = Error("IG0025",
        "Module branches end at different sizes",
        "Module '{0}' ({1}): its branches cannot be concatenated, since they end at different sizes on a {2} input: {3}; give them the same stride and padding");

    public static readonly DiagnosticDescriptor ResidualChannelMismatch = Error("IG0026",
        "Residual module's branches do not match its input",
        "Residual module '{0}' ({1}) adds its branches ({2} channels, {3}) to its input ({4}); the branches' concat must have the input's channels and size");

    public static readonly DiagnosticDescriptor RecursiveModule = Error("IG0027",
        "Module uses itself",
        "Module '{0}' uses itself ({1}); a module cannot contain itself, directly or through other modules");

    public static readonly DiagnosticDescriptor EmptyModule = Error("IG0028",
        "Empty module or branch",
        "{0}; give it at least one {1}");

    public static readonly DiagnosticDescriptor ModuleParameterNotSet = Error("IG0029",
        "Module parameter not set",
        "Module '{0}' is used without setting its parameter '{1}', which has no default; set it, e.g. [{0}({1} = 64)], or give the property an initializer");

    public static readonly DiagnosticDescriptor ModuleParameterNotPositive = Error("IG0030",
        "Module parameter not positive",
        "Parameter '{1}' of module '{0}' is {2}; a module parameter gives output channels, so it must be positive");

    public static readonly DiagnosticDescriptor UnknownModuleParameter = Error("IG0031",
        "Channels from something that is not a module parameter",
        "'{0}' takes its channels from '{1}', which {2}; [Conv(nameof(P))] needs P to be a public int property with a setter declared on the module class");

    public static readonly DiagnosticDescriptor LayerNotAllowedInBranch = Error("IG0032",
        "Layer kind not allowed in a module branch",
        "[{0}] cannot be a layer of branch '{1}'; a branch holds [Conv], [MaxPool], [AvgPool], [BatchNorm] and other modules, so declare it on the network");

    public static readonly DiagnosticDescriptor CollidingLayerNames = Error("IG0033",
        "Two layers have the same weight name",
        "'{0}' would save a tensor as '{1}', which '{2}' already does; give one of the layers another Name");

    /// <summary>
    /// The diagnostic property that carries the property type a layer's attribute requires (<c>Pool</c> for
    /// <c>[MaxPool]</c>), for IG0003's code fix, which needs it and should not parse a message.
    /// </summary>
    public const string LayerTypeProperty = "LayerType";

    /// <summary>Which message argument becomes which diagnostic property, by ID: the code fixes' inputs.</summary>
    private static readonly Dictionary<string, (string Property, int Argument)> s_fixProperties = new()
    {
        ["IG0003"] = (LayerTypeProperty, 2),
    };

    /// <summary>The properties a diagnostic of <paramref name="id"/> carries for its code fix; empty for most.</summary>
    public static ImmutableDictionary<string, string?> FixProperties(string id, IReadOnlyList<string> arguments)
        => s_fixProperties.TryGetValue(id, out var entry) && entry.Argument < arguments.Count
            ? ImmutableDictionary<string, string?>.Empty.Add(entry.Property, arguments[entry.Argument])
            : ImmutableDictionary<string, string?>.Empty;

    /// <summary>All descriptors, for lookup by ID and for the docs test.</summary>
    public static readonly IReadOnlyList<DiagnosticDescriptor> All = typeof(DiagnosticDescriptors)
        .GetFields()
        .Where(field => field.FieldType == typeof(DiagnosticDescriptor))
        .Select(field => (DiagnosticDescriptor)field.GetValue(null))
        .OrderBy(descriptor => descriptor.Id)
        .ToList();

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = All.ToDictionary(descriptor => descriptor.Id);

    public static DiagnosticDescriptor ById(string id) => s_byId[id];

    /// <summary>
    /// Where the diagnostic pages live, as an absolute URL: the IDE opens help links as they are, and a relative
    /// path means nothing outside this repository.
    /// </summary>
    public const string HelpLinkBase = "https://github.com/inceptiongen/inceptiongen/blob/main/docs/diagnostics/";

    private static DiagnosticDescriptor Error(string id, string title, string message)
        => new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink(id), customTags: s_errorTags);

    public static string HelpLink(string id) => HelpLinkBase + id + ".md";
}
