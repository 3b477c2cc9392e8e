using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Planning;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InceptionGen.Generator.Parsing;

/// <summary>
/// User-declared modules: a <c>ModuleAttribute</c> subclass marked <c>[InceptionModule]</c>, read from the attribute class of
/// a network property's attribute (and of a branch's, for nested modules) into a <see cref="ModuleModel"/> per use, with
/// that use's parameter values put in. Only values leave this file.
/// </summary>
internal static partial class Parser
{
    private const string ModuleAttributeTypeName = "ModuleAttribute";
    private const string InceptionModuleAttributeTypeName = "InceptionModuleAttribute";
    private const string BranchTypeName = "Branch";

    /// <summary>The <c>ConvAttribute(string outChannelsParameter)</c> constructor's argument.</summary>
    private const string OutChannelsParameterArgument = "outChannelsParameter";

    /// <summary>Deeper nesting than this is reported (IG0020) rather than followed: no real module comes near it.</summary>
    internal const int MaxModuleDepth = 16;

    /// <summary>The layer kinds a branch may hold (and nested modules).</summary>
    private static readonly LayerKind[] s_branchKinds = [LayerKind.Conv, LayerKind.MaxPool, LayerKind.AvgPool, LayerKind.BatchNorm];

    private sealed record ModuleContext(Compilation Compilation, List<DiagnosticInfo> Diagnostics, CancellationToken CancellationToken);

    /// <summary>Whether <paramref name="type"/> derives from <c>InceptionGen.ModuleAttribute</c>.</summary>
    internal static bool IsModuleClass(INamedTypeSymbol? type)
    {
        for (var ancestor = type?.BaseType; ancestor is not null; ancestor = ancestor.BaseType)
        {
            if (SymbolNames.IsInceptionGenType(ancestor, ModuleAttributeTypeName))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// One use of <paramref name="moduleClass"/> with the named arguments of <paramref name="usage"/>. Problems are
    /// reported and make the network <paramref name="incomplete"/>, so that the planner adds no guesses on top of them.
    /// </summary>
    private static ModuleModel ReadModule(INamedTypeSymbol moduleClass, AttributeData usage, LocationInfo? usageLocation, ModuleContext context,
        List<INamedTypeSymbol> stack, ref bool incomplete)
    {
        context.CancellationToken.ThrowIfCancellationRequested();
        var diagnostics = context.Diagnostics;
        var errorsBefore = diagnostics.Count;
        stack.Add(moduleClass);
        var marker = moduleClass.GetAttributes().FirstOrDefault(attribute => SymbolNames.IsInceptionGenType(attribute.AttributeClass, InceptionModuleAttributeTypeName));
        var options = Arguments(marker);
        var combine = options.TryGetValue("Combine", out var combineValue) && combineValue.Value is int combineNumber ? (ModuleCombineKind)combineNumber : ModuleCombineKind.Concat;
        var parameters = ReadParameters(moduleClass, usage, usageLocation, context);

        var branches = new List<BranchModel>();
        foreach (var member in moduleClass.GetMembers().OfType<IPropertySymbol>().Where(property => SymbolNames.IsInceptionGenType(property.Type, BranchTypeName)))
        {
            var branchLocation = LocationInfo.From(member.Locations.FirstOrDefault()) ?? usageLocation;
            var attributes = member.GetAttributes().Where(IsLayerAttribute).ToList();
            if (attributes.Count == 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EmptyModule, branchLocation, $"Branch '{moduleClass.Name}.{member.Name}' has no layer",
                    "layer attribute, e.g. [Conv(64, Kernel = 1)]"));
                continue;
            }

            var layers = new List<LayerModel>();
            for (var index = 0; index < attributes.Count; index++)
            {
                var layer = ReadBranchLayer(moduleClass, member, attributes, index, parameters, usageLocation, context, stack, ref incomplete);
                if (layer is not null)
                {
                    layers.Add(layer);
                }
            }

            branches.Add(new BranchModel(member.Name, branchLocation, layers.ToEquatableArray()));
        }

        if (branches.Count == 0 && attributesAreBound(moduleClass))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EmptyModule, usageLocation, $"Module '{moduleClass.Name}' has no branch",
                "branch: a 'Branch' property with layer attributes, e.g. [Conv(64, Kernel = 1)] public Branch Branch1x1 { get; }"));
        }

        stack.RemoveAt(stack.Count - 1);
        if (diagnostics.Skip(errorsBefore).Any(diagnostic => DiagnosticDescriptors.ById(diagnostic.Id).DefaultSeverity == DiagnosticSeverity.Error))
        {
            incomplete = true;
        }

        return new ModuleModel(moduleClass.Name, combine, Float(options, "ResidualScale", 1f), Bool(options, "Relu", false), branches.ToEquatableArray());

        static bool attributesAreBound(INamedTypeSymbol type) => type.TypeKind != TypeKind.Error;
    }

    /// <summary>Layer <paramref name="index"/> of a branch: a built-in layer with its options, or a nested module.</summary>
    private static LayerModel? ReadBranchLayer(INamedTypeSymbol moduleClass, IPropertySymbol member, List<AttributeData> attributes, int index,
        Dictionary<string, int?> parameters, LocationInfo? usageLocation, ModuleContext context, List<INamedTypeSymbol> stack, ref bool incomplete)
    {
        var diagnostics = context.Diagnostics;
        var attribute = attributes[index];
        var location = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken)) ?? usageLocation;
        if (attribute.AttributeConstructor is null || attribute.AttributeClass is null)
        {
            // Not bound (half-typed code): the compiler reports it.
            incomplete = true;
            return null;
        }

        var branchName = moduleClass.Name + "." + member.Name;
        var layerName = attributes.Count == 1 ? branchName : $"{branchName}[{index}]";
        var segment = attributes.Count == 1 ? PyTorchNames.From(member.Name) : PyTorchNames.From(member.Name) + "." + index;
        var arguments = Arguments(attribute);
        var isModule = IsModuleClass(attribute.AttributeClass);
        var weightName = ReadName(arguments, layerName, location, allowEmpty: isModule, diagnostics) ?? segment;
        var layer = new LayerModel(layerName, LayerKind.Module, "public", location,
            Kernel: SizePair.Square(1), Stride: SizePair.Square(1), Padding: SizePair.Square(0), WeightName: weightName);
        if (isModule)
        {
            var nested = attribute.AttributeClass;
            if (stack.Contains(nested, SymbolEqualityComparer.Default))
            {
                var cycle = stack.SkipWhile(type => !SymbolEqualityComparer.Default.Equals(type, nested)).Select(type => type.Name).Concat([nested.Name]);
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RecursiveModule, location, nested.Name, string.Join(" → ", cycle)));
                return null;
            }

            if (stack.Count >= MaxModuleDepth)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OverLimit, location, "The nesting depth", branchName, stack.Count + 1, MaxModuleDepth));
                return null;
            }

            return layer with { Module = ReadModule(nested, attribute, location, context, stack, ref incomplete) };
        }

        if (!SymbolNames.IsInInceptionGenNamespace(attribute.AttributeClass)
            || !s_layerAttributes.TryGetValue(attribute.AttributeClass.Name, out var entry) || !s_branchKinds.Contains(entry.Kind))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerNotAllowedInBranch, location, ShortName(attribute.AttributeClass), branchName));
            return null;
        }

        layer = ReadOptions(layer with { Kind = entry.Kind }, entry.Kind, arguments, layerName, location, diagnostics);
        if (arguments.TryGetValue(OutChannelsParameterArgument, out var parameterArgument) && parameterArgument.Value is string parameterName)
        {
            if (parameters.TryGetValue(parameterName, out var channels))
            {
                // A parameter without a good value was reported where the module is used (IG0029, IG0030).
                return channels is null ? null : layer with { OutChannels = channels.Value };
            }

            var found = moduleClass.GetMembers(parameterName).FirstOrDefault();
            var why = found is null ? $"is not a member of module '{moduleClass.Name}'" : $"is not a public int property with a public setter of module '{moduleClass.Name}'";
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownModuleParameter, location, layerName, parameterName, why));
            return null;
        }

        return layer;
    }

    /// <summary>
    /// The module's parameters for one use: the use's named argument, else the property's initializer. Not set without an
    /// initializer is IG0029; a value of 0 or less IG0030 (such a parameter maps to null).
    /// </summary>
    private static Dictionary<string, int?> ReadParameters(INamedTypeSymbol moduleClass, AttributeData usage, LocationInfo? usageLocation, ModuleContext context)
    {
        var values = new Dictionary<string, int?>(StringComparer.Ordinal);
        foreach (var property in moduleClass.GetMembers().OfType<IPropertySymbol>().Where(IsModuleParameter))
        {
            var set = usage.NamedArguments.Where(argument => argument.Key == property.Name).Select(argument => argument.Value.Value).OfType<int>().Cast<int?>().LastOrDefault();
            var value = set ?? ParameterDefault(property, context);
            values[property.Name] = null;
            if (value is null)
            {
                context.Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModuleParameterNotSet, usageLocation, moduleClass.Name, property.Name));
                continue;
            }

            if (value <= 0)
            {
                var location = set is null ? LocationInfo.From(property.Locations.FirstOrDefault()) ?? usageLocation : usageLocation;
                context.Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModuleParameterNotPositive, location, moduleClass.Name, property.Name, value));
                continue;
            }

            values[property.Name] = value.Value;
        }

        return values;
    }

    /// <summary>A public int property with a public setter, declared on the module class: a module parameter.</summary>
    private static bool IsModuleParameter(IPropertySymbol property)
        => !property.IsStatic && !property.IsIndexer && property.DeclaredAccessibility == Accessibility.Public
           && property.Type.SpecialType == SpecialType.System_Int32 && property.SetMethod is { DeclaredAccessibility: Accessibility.Public };

    /// <summary>The constant of the property's initializer (<c>= 32</c>), or null when it has none (or the class is in metadata).</summary>
    private static int? ParameterDefault(IPropertySymbol property, ModuleContext context)
    {
        foreach (var reference in property.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(context.CancellationToken) is PropertyDeclarationSyntax { Initializer.Value: { } value }
                && context.Compilation.ContainsSyntaxTree(value.SyntaxTree))
            {
                var constant = context.Compilation.GetSemanticModel(value.SyntaxTree).GetConstantValue(value, context.CancellationToken);
                return constant.HasValue && constant.Value is int number ? number : null;
            }
        }

        return null;
    }

    /// <summary>
    /// A layer's declared <c>Name</c>, or null when it sets none. A name is a weight-file segment: letters, digits and '_',
    /// not starting with a digit; <c>""</c> only on a module (IG0011 otherwise).
    /// </summary>
    private static string? ReadName(Dictionary<string, TypedConstant> arguments, string layerName, LocationInfo? location, bool allowEmpty, List<DiagnosticInfo> diagnostics)
    {
        if (!arguments.TryGetValue("Name", out var value) || value.Value is not string name)
        {
            return null;
        }

        if (name.Length == 0 ? allowEmpty : IsNameSegment(name))
        {
            return name;
        }

        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidOptionValue, location, "Name", layerName, "\"" + name + "\"",
            "a weight-file name is letters, digits and '_', not starting with a digit; \"\" only on a module, whose layers then sit directly in the names above it"));
        return null;
    }

    private static bool IsNameSegment(string name)
        => (char.IsLetter(name[0]) || name[0] == '_') && name.All(character => char.IsLetterOrDigit(character) || character == '_');
}
