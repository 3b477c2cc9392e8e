using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InceptionGen.Generator.Parsing;

/// <summary>
/// Reads a <c>[Network]</c> class into a <see cref="NetworkModel"/>: plain values only, so that the
/// incremental pipeline can compare and cache it. It reports what can be seen from the declaration
/// alone (partial, types, duplicates); the planner checks values and shapes.
/// </summary>
internal static partial class Parser
{
    public const string NetworkAttributeName = "InceptionGen.NetworkAttribute";
    private const string NetworkAttributeTypeName = "NetworkAttribute";
    private const string LayerAttributeBaseTypeName = "LayerAttribute";

    /// <summary>Each layer attribute of the InceptionGen namespace and the property type it requires, by type name.</summary>
    private static readonly Dictionary<string, (LayerKind Kind, string PropertyType)> s_layerAttributes = new()
    {
        ["ConvAttribute"] = (LayerKind.Conv, "Conv"),
        ["MaxPoolAttribute"] = (LayerKind.MaxPool, "Pool"),
        ["AvgPoolAttribute"] = (LayerKind.AvgPool, "Pool"),
        ["GlobalAveragePoolAttribute"] = (LayerKind.GlobalAveragePool, "Pool"),
        ["AdaptiveAveragePoolAttribute"] = (LayerKind.AdaptiveAveragePool, "Pool"),
        ["LocalResponseNormAttribute"] = (LayerKind.LocalResponseNorm, "Lrn"),
        ["InceptionAttribute"] = (LayerKind.Inception, "Inception"),
        ["AuxiliaryClassifierAttribute"] = (LayerKind.AuxiliaryClassifier, "AuxiliaryClassifier"),
        ["DropoutAttribute"] = (LayerKind.Dropout, "Dropout"),
        ["LinearAttribute"] = (LayerKind.Linear, "Linear"),
        ["FlattenAttribute"] = (LayerKind.Flatten, "Flatten"),
        ["BatchNormAttribute"] = (LayerKind.BatchNorm, "BatchNormLayer"),
    };

    /// <summary>The property type of a module's use on a network: <c>InceptionGen.Module</c>.</summary>
    public const string ModulePropertyType = "Module";

    /// <summary>The property type a layer kind requires, e.g. <c>Pool</c> for max pooling.</summary>
    public static string PropertyTypeFor(LayerKind kind) => kind == LayerKind.Module ? ModulePropertyType : s_layerAttributes.Values.First(entry => entry.Kind == kind).PropertyType;

    public static NetworkModel Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var classSyntax = (TypeDeclarationSyntax)context.TargetNode;
        var classLocation = LocationInfo.From(classSyntax.Identifier.GetLocation());
        var diagnostics = new List<DiagnosticInfo>();

        if (!IsFirstNetworkDeclaration(type, classSyntax, cancellationToken))
        {
            // [Network] on a second part of the class: the compiler reports the duplicate attribute (CS0579), and
            // the first part's model already stands for the whole class.
            return new NetworkModel(null, type.Name, "public", EquatableArray<ContainingType>.Empty, 0, 0, 0, EquatableArray<LayerModel>.Empty, classLocation,
                EquatableArray<DiagnosticInfo>.Empty, Incomplete: true);
        }

        CheckDeclaration(type, classLocation, diagnostics);
        DeclarationChecks.CheckMembers(type, classLocation, diagnostics, cancellationToken);
        var (channels, height, width) = ReadInputShape(context.Attributes.FirstOrDefault());

        var layers = new List<LayerModel>();
        var seenNames = new HashSet<string>();
        var incomplete = context.Attributes.FirstOrDefault()?.AttributeConstructor is null;
        foreach (var member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is not IPropertySymbol property)
            {
                continue;
            }

            var layer = ReadLayer(context, property, type.Name, seenNames, diagnostics, ref incomplete, cancellationToken);
            if (layer is not null)
            {
                layers.Add(layer);
            }
        }

        return new NetworkModel(
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            type.Name,
            AccessibilityText(type.DeclaredAccessibility),
            ContainingTypes(type),
            channels, height, width,
            layers.ToEquatableArray(),
            classLocation,
            diagnostics.Distinct().ToEquatableArray(),
            incomplete,
            Int(Arguments(context.Attributes.FirstOrDefault()), "Convolution", 0));
    }

    /// <summary>Whether <paramref name="declaration"/> carries the class's first [Network] attribute.</summary>
    private static bool IsFirstNetworkDeclaration(INamedTypeSymbol type, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        var first = type.GetAttributes().FirstOrDefault(IsNetworkAttribute)?.ApplicationSyntaxReference;
        return first is null || first.GetSyntax(cancellationToken).Parent?.Parent == declaration;
    }

    private static void CheckDeclaration(INamedTypeSymbol type, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        var isPartial = type.DeclaringSyntaxReferences
            .Select(reference => reference.GetSyntax())
            .OfType<TypeDeclarationSyntax>()
            .All(declaration => declaration.Modifiers.Any(SyntaxKind.PartialKeyword));
        if (!isPartial)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkNotPartial, location, type.Name));
        }

        if (type.IsRecord)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDeclaration, location, type.Name, "is a record; declare the network as a 'partial class'"));
        }

        if (type.IsGenericType)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDeclaration, location, type.Name, "is generic; a network class cannot have type parameters"));
        }

        if (type.IsFileLocal || ContainingTypesOf(type).Any(outer => outer.IsFileLocal))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDeclaration, location, type.Name,
                "is file-local ('file'); the generated part lives in another file and cannot extend it, so declare it 'internal' instead"));
        }

        if (type.IsStatic)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDeclaration, location, type.Name, "is static; a network holds its weights, so it must be an instance class"));
        }

        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            var outerIsPartial = outer.DeclaringSyntaxReferences
                .Select(reference => reference.GetSyntax())
                .OfType<TypeDeclarationSyntax>()
                .All(declaration => declaration.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!outerIsPartial || outer.IsGenericType)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDeclaration, location, type.Name,
                    $"is nested in '{outer.Name}', which must be partial and not generic"));
            }
        }
    }

    private static IEnumerable<INamedTypeSymbol> ContainingTypesOf(INamedTypeSymbol type)
    {
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            yield return outer;
        }
    }

    private static (int Channels, int Height, int Width) ReadInputShape(AttributeData? attribute)
    {
        var arguments = Arguments(attribute);
        return (Int(arguments, "Channels", LayerDefaults.InputChannels), Int(arguments, "Height", LayerDefaults.InputHeight), Int(arguments, "Width", LayerDefaults.InputWidth));
    }

    private static LayerModel? ReadLayer(GeneratorAttributeSyntaxContext syntaxContext, IPropertySymbol property, string networkName, HashSet<string> seenNames,
        List<DiagnosticInfo> diagnostics, ref bool incomplete, CancellationToken cancellationToken)
    {
        var layerAttributes = property.GetAttributes().Where(IsLayerAttribute).ToList();
        if (layerAttributes.Count == 0)
        {
            return null;
        }

        var attribute = layerAttributes[0];
        var attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken);
        var location = LocationInfo.From(attributeSyntax) ?? LocationInfo.From(property.Locations.FirstOrDefault());
        var attributeName = ShortName(attribute.AttributeClass!);
        var isModule = IsModuleClass(attribute.AttributeClass);
        var entry = (Kind: LayerKind.Module, PropertyType: ModulePropertyType);
        if (!isModule && (!SymbolNames.IsInInceptionGenNamespace(attribute.AttributeClass) || !s_layerAttributes.TryGetValue(attribute.AttributeClass!.Name, out entry)))
        {
            return null;
        }

        if (layerAttributes.Count > 1)
        {
            // At the second attribute, the one to remove (as the compiler's CS0579 for a duplicate attribute).
            var extra = LocationInfo.From(layerAttributes[1].ApplicationSyntaxReference?.GetSyntax(cancellationToken)) ?? location;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MultipleLayerAttributes, extra, property.Name,
                string.Join(", ", layerAttributes.Select(other => "[" + ShortName(other.AttributeClass!) + "]"))));
        }

        if (!seenNames.Add(property.Name) || HasSeveralDefinitions(property, cancellationToken))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateLayerName, location, property.Name, networkName));
        }

        if (GeneratedMembers.IsTaken(property.Name))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ReservedLayerName, location, property.Name));
        }

        var declaration = property.DeclaringSyntaxReferences.Select(reference => reference.GetSyntax(cancellationToken)).OfType<PropertyDeclarationSyntax>().FirstOrDefault();
        if (property.IsIndexer)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDeclaration, location, "this[]",
                $"is an indexer; a layer must be a named property: 'public partial {entry.PropertyType} Name {{ get; }}'"));
        }
        else if (declaration is null || !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerNotPartial, location, property.Name, entry.PropertyType));
        }

        if (property.IsStatic)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDeclaration, location, property.Name, "is static; a layer belongs to one network instance"));
        }
        else if (!property.IsIndexer && declaration is not null && declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            DeclarationChecks.CheckLayerProperty(property, declaration, entry.PropertyType, location, diagnostics, cancellationToken);
        }

        var actualType = property.Type;
        var typeIsRight = actualType.TypeKind != TypeKind.Error
            && SymbolNames.IsInceptionGenType(actualType, entry.PropertyType);
        if (!typeIsRight && actualType.TypeKind != TypeKind.Error)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerWrongType, location, property.Name, attributeName, entry.PropertyType, actualType.ToDisplayString()));
        }

        // An attribute the compiler could not bind (half-typed code) has no constructor: the compiler
        // reports it, and the network is left ungenerated until it binds.
        if (attribute.AttributeConstructor is null || actualType.TypeKind == TypeKind.Error)
        {
            incomplete = true;
        }

        var arguments = Arguments(attribute);
        var layer = new LayerModel(property.Name, entry.Kind, AccessibilityText(property.DeclaredAccessibility), location,
            Kernel: SizePair.Square(1), Stride: SizePair.Square(1), Padding: SizePair.Square(0));
        if (ReadName(arguments, property.Name, location, allowEmpty: isModule, diagnostics) is { } weightName)
        {
            // An auxiliary head's Name prefixes its parts (torchvision's AuxLogits.conv0.conv.weight); [Inception]'s parts keep theirs.
            if (entry.Kind is LayerKind.Inception)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidOptionValue, location, "Name", property.Name, "\"" + weightName + "\"",
                    $"[{attributeName}]'s parts keep their declared names; to name a module's layers, declare it as a module (docs/modules.md)"));
            }

            layer = layer with { WeightName = weightName };
        }

        if (isModule)
        {
            var context = new ModuleContext(syntaxContext.SemanticModel.Compilation, diagnostics, cancellationToken);
            return layer with { Module = ReadModule(attribute.AttributeClass!, attribute, location, context, new List<INamedTypeSymbol>(), ref incomplete) };
        }

        if (arguments.TryGetValue(OutChannelsParameterArgument, out var parameterName) && parameterName.Value is string name)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownModuleParameter, location, property.Name, name, "is not a module parameter: only a layer inside a module class can take its channels from one"));
            incomplete = true;
        }

        return ReadOptions(layer, entry.Kind, arguments, property.Name, location, diagnostics);
    }

    /// <summary>The options of a built-in layer attribute, by kind; defaults where not set.</summary>
    private static LayerModel ReadOptions(LayerModel layer, LayerKind kind, Dictionary<string, TypedConstant> arguments, string layerName, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        return kind switch
        {
            LayerKind.Conv => layer with
            {
                OutChannels = Int(arguments, "OutChannels", 0),
                Kernel = Pair(arguments, "Kernel", SizePair.Square(LayerDefaults.ConvKernel), layerName, location, diagnostics),
                Stride = Pair(arguments, "Stride", SizePair.Square(LayerDefaults.ConvStride), layerName, location, diagnostics),
                Padding = Pair(arguments, "Padding", SizePair.Square(LayerDefaults.ConvPadding), layerName, location, diagnostics),
                // With BatchNorm the convolution has no bias (BN's β takes its place), so only an explicit Bias = true sets one: IG0011.
                Bias = Bool(arguments, "Bias", !Bool(arguments, "BatchNorm", LayerDefaults.ConvBatchNorm) && LayerDefaults.ConvBias),
                Relu = Bool(arguments, "Relu", LayerDefaults.ConvRelu),
                BatchNorm = Bool(arguments, "BatchNorm", LayerDefaults.ConvBatchNorm),
                Epsilon = Double(arguments, "BatchNormEpsilon", LayerDefaults.BatchNormEpsilon),
                Momentum = Double(arguments, "BatchNormMomentum", LayerDefaults.BatchNormMomentum),
            },
            LayerKind.BatchNorm => layer with
            {
                Epsilon = Double(arguments, "Epsilon", LayerDefaults.BatchNormEpsilon),
                Momentum = Double(arguments, "Momentum", LayerDefaults.BatchNormMomentum),
                Relu = Bool(arguments, "Relu", LayerDefaults.BatchNormRelu),
            },
            LayerKind.MaxPool or LayerKind.AvgPool => PoolLayer(layer, arguments, layerName, location, diagnostics) with
            {
                CeilMode = Bool(arguments, "CeilMode", LayerDefaults.PoolCeilMode),
                Relu = false,
            },
            LayerKind.LocalResponseNorm => layer with
            {
                // The window across channels, kept as the kernel's height.
                Kernel = SizePair.Square(Int(arguments, "Size", 5)),
                Alpha = Float(arguments, "Alpha", LayerDefaults.LrnAlpha),
                Beta = Float(arguments, "Beta", LayerDefaults.LrnBeta),
                K = Float(arguments, "K", LayerDefaults.LrnK),
                Relu = false,
            },
            LayerKind.Inception => layer with
            {
                InceptionWidths = new[] { "Branch1x1", "Reduce3x3", "Branch3x3", "Reduce5x5", "Branch5x5", "PoolProjection" }
                    .Select(name => Int(arguments, name, 0)).ToEquatableArray(),
            },
            LayerKind.AuxiliaryClassifier => layer with
            {
                OutChannels = Int(arguments, "Classes", 0),
                LossWeight = Float(arguments, "LossWeight", LayerDefaults.AuxiliaryLossWeight),
                Kernel = SizePair.Square(Int(arguments, "PoolKernel", LayerDefaults.AuxiliaryPoolKernel)),
                Stride = SizePair.Square(Int(arguments, "PoolStride", LayerDefaults.AuxiliaryPoolStride)),
                ConvChannels = Int(arguments, "ConvChannels", LayerDefaults.AuxiliaryConvChannels),
                HiddenUnits = Int(arguments, "HiddenUnits", LayerDefaults.AuxiliaryHiddenUnits),
                Rate = Float(arguments, "DropoutRate", LayerDefaults.AuxiliaryDropoutRate),
                CeilMode = Bool(arguments, "PoolCeilMode", LayerDefaults.AuxiliaryPoolCeilMode),
                OutputSize = SizePair.Square(Int(arguments, "PoolOutput", LayerDefaults.AuxiliaryPoolOutput)),
                Bias = !Bool(arguments, "BatchNorm", LayerDefaults.ConvBatchNorm),
                BatchNorm = Bool(arguments, "BatchNorm", LayerDefaults.ConvBatchNorm),
                Epsilon = Double(arguments, "BatchNormEpsilon", LayerDefaults.BatchNormEpsilon),
                Momentum = Double(arguments, "BatchNormMomentum", LayerDefaults.BatchNormMomentum),
                Head = AuxiliaryHead(arguments),
            },
            LayerKind.AdaptiveAveragePool => layer with
            {
                // The square output of the constructor, or OutputHeight/OutputWidth (1 where not set) with the parameterless one.
                OutputSize = Pair(arguments, "Output", SizePair.Square(1), layerName, location, diagnostics),
                Relu = false,
            },
            LayerKind.Dropout => layer with { Rate = Float(arguments, "Rate", 0.5f), Relu = false },
            LayerKind.Linear => layer with
            {
                OutChannels = Int(arguments, "OutFeatures", 0),
                Bias = Bool(arguments, "Bias", LayerDefaults.LinearBias),
                Relu = Bool(arguments, "Relu", LayerDefaults.LinearRelu),
            },
            _ => layer with { Relu = false },
        };
    }

    /// <summary>
    /// The options of an auxiliary head that Caffe's head does not have; null when none is set away from its default, so
    /// a Caffe head's model is what it was before they existed.
    /// </summary>
    private static AuxiliaryHeadModel? AuxiliaryHead(Dictionary<string, TypedConstant> arguments)
    {
        var head = new AuxiliaryHeadModel(
            Int(arguments, "SecondConvChannels", LayerDefaults.AuxiliarySecondConvChannels),
            Int(arguments, "SecondConvKernel", LayerDefaults.AuxiliarySecondConvKernel),
            Bool(arguments, "GlobalPool", LayerDefaults.AuxiliaryGlobalPool),
            Int(arguments, "Names", LayerDefaults.AuxiliaryNameStyle));
        return head == Caffe ? null : head;
    }

    private static readonly AuxiliaryHeadModel Caffe = new(LayerDefaults.AuxiliarySecondConvChannels, LayerDefaults.AuxiliarySecondConvKernel, LayerDefaults.AuxiliaryGlobalPool, LayerDefaults.AuxiliaryNameStyle);

    /// <summary>Two defining declarations of one partial property in different parts of the class.</summary>
    private static bool HasSeveralDefinitions(IPropertySymbol property, CancellationToken cancellationToken)
        => property.DeclaringSyntaxReferences
            .Select(reference => reference.GetSyntax(cancellationToken))
            .OfType<PropertyDeclarationSyntax>()
            .Count(declaration => declaration.AccessorList?.Accessors.All(accessor => accessor.Body is null && accessor.ExpressionBody is null) ?? false) > 1;

    public static bool IsLayerAttribute(AttributeData attribute)
    {
        for (var type = attribute.AttributeClass?.BaseType; type is not null; type = type.BaseType)
        {
            if (SymbolNames.IsInceptionGenType(type, LayerAttributeBaseTypeName))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the attribute is <c>[Network]</c>.</summary>
    public static bool IsNetworkAttribute(AttributeData attribute) => SymbolNames.IsInceptionGenType(attribute.AttributeClass, NetworkAttributeTypeName);

    /// <summary>Constructor and named arguments by (case-insensitive) name; named arguments win.</summary>
    private static Dictionary<string, TypedConstant> Arguments(AttributeData? attribute)
    {
        var arguments = new Dictionary<string, TypedConstant>(System.StringComparer.OrdinalIgnoreCase);
        if (attribute?.AttributeConstructor is { } constructor)
        {
            for (var i = 0; i < constructor.Parameters.Length && i < attribute.ConstructorArguments.Length; i++)
            {
                arguments[constructor.Parameters[i].Name] = attribute.ConstructorArguments[i];
            }
        }

        foreach (var named in attribute?.NamedArguments ?? ImmutableArray<KeyValuePair<string, TypedConstant>>.Empty)
        {
            arguments[named.Key] = named.Value;
        }

        return arguments;
    }

    /// <summary>
    /// A pool's window: the square <c>kernel</c> of the constructor, or <c>KernelHeight</c>/<c>KernelWidth</c> (1 where not
    /// set) with the parameterless one. Its stride defaults to the window, dimension by dimension, as in PyTorch; to 1 for
    /// a bad window, which is reported once, as the kernel.
    /// </summary>
    private static LayerModel PoolLayer(LayerModel layer, Dictionary<string, TypedConstant> arguments, string layerName, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        var kernel = Pair(arguments, "Kernel", SizePair.Square(1), layerName, location, diagnostics);
        return layer with
        {
            Kernel = kernel,
            Stride = Pair(arguments, "Stride", new SizePair(Math.Max(kernel.Height, 1), Math.Max(kernel.Width, 1)), layerName, location, diagnostics),
            Padding = Pair(arguments, "Padding", SizePair.Square(LayerDefaults.PoolPadding), layerName, location, diagnostics),
        };
    }

    /// <summary>
    /// A height × width option: the square <paramref name="name"/> sets both, <c>{name}Height</c> and <c>{name}Width</c> one
    /// each and win over it; a per-dimension value that contradicts a square one set beside it is IG0024.
    /// </summary>
    private static SizePair Pair(Dictionary<string, TypedConstant> arguments, string name, SizePair fallback, string layerName, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        int? square = arguments.TryGetValue(name, out var value) && value.Value is int number ? number : null;
        var height = Dimension("Height", square ?? fallback.Height);
        var width = Dimension("Width", square ?? fallback.Width);
        return new SizePair(height, width);

        int Dimension(string dimension, int otherwise)
        {
            if (!(arguments.TryGetValue(name + dimension, out var set) && set.Value is int size))
            {
                return otherwise;
            }

            if (square is { } both && both != size)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConflictingDimension, location, layerName, name, both, name + dimension, size));
            }

            return size;
        }
    }

    private static int Int(Dictionary<string, TypedConstant> arguments, string name, int fallback)
        => arguments.TryGetValue(name, out var value) && value.Value is int number ? number : fallback;

    private static float Float(Dictionary<string, TypedConstant> arguments, string name, float fallback)
        => arguments.TryGetValue(name, out var value) && value.Value is float number ? number : fallback;

    private static double Double(Dictionary<string, TypedConstant> arguments, string name, double fallback)
        => arguments.TryGetValue(name, out var value) && value.Value is double number ? number : fallback;

    private static bool Bool(Dictionary<string, TypedConstant> arguments, string name, bool fallback)
        => arguments.TryGetValue(name, out var value) && value.Value is bool flag ? flag : fallback;

    private static string ShortName(INamedTypeSymbol attributeClass)
        => attributeClass.Name.EndsWith("Attribute") ? attributeClass.Name.Substring(0, attributeClass.Name.Length - "Attribute".Length) : attributeClass.Name;

    private static EquatableArray<ContainingType> ContainingTypes(INamedTypeSymbol type)
    {
        var chain = new List<ContainingType>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            var keyword = outer.IsRecord ? (outer.IsValueType ? "record struct" : "record") : outer.TypeKind == TypeKind.Struct ? "struct" : outer.TypeKind == TypeKind.Interface ? "interface" : "class";
            chain.Insert(0, new ContainingType(keyword, outer.Name));
        }

        return chain.ToEquatableArray();
    }

    private static string AccessibilityText(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Public => "public",
        Accessibility.Internal => "internal",
        Accessibility.Protected => "protected",
        Accessibility.ProtectedOrInternal => "protected internal",
        Accessibility.ProtectedAndInternal => "private protected",
        _ => "private",
    };
}
