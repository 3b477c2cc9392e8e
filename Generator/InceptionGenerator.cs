using System;
using System.Linq;
using System.Text;
using System.Threading;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Parsing;
using InceptionGen.Generator.Planning;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace InceptionGen.Generator;

/// <summary>
/// The InceptionGen source generator: [Network] class → <see cref="Parser"/> (equatable model) →
/// <see cref="Planner"/> (shapes, memory, counts, diagnostics) → <see cref="Emitter"/> (one file per network).
/// It never throws: a failure in any step becomes diagnostic IG0016 at the class.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class InceptionGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, for incremental-step tests.</summary>
    public const string ParseStep = "Parse";
    public const string PlanStep = "Plan";
    public const string DiagnosticsStep = "Diagnostics";
    public const string EmitStep = "Emit";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var models = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                Parser.NetworkAttributeName,
                // Record classes too, so that [Network] on one gets IG0017 instead of silence.
                predicate: static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax { ClassOrStructKeyword.RawKind: not (int)SyntaxKind.StructKeyword },
                transform: static (syntaxContext, cancellationToken) => ParseSafely(syntaxContext, cancellationToken))
            .WithTrackingName(ParseStep);

        var plans = models
            .Select(static (model, _) => PlanSafely(model))
            .WithTrackingName(PlanStep);

        // Diagnostics and code go separate ways (as in the logging generator): the code depends on a plan
        // without source locations, so an edit that only moves the declaration regenerates nothing.
        var diagnostics = plans
            .Select(static (plan, _) => plan.Diagnostics)
            .WithTrackingName(DiagnosticsStep);
        var emittable = plans
            .Select(static (plan, _) => plan.IsEmittable ? plan.WithoutLocations() : null)
            .WithTrackingName(EmitStep);

        context.RegisterSourceOutput(diagnostics, static (production, found) =>
        {
            foreach (var diagnostic in found)
            {
                production.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });
        // The register tiles are shared by the networks of the compilation, in one class named after the assembly.
        var tilesClass = context.CompilationProvider.Select(static (compilation, _) => RegisterTileEmitter.ClassName(compilation.AssemblyName));
        context.RegisterSourceOutput(emittable.Combine(tilesClass), static (production, input) => Produce(production, input.Left, input.Right));
        var tiles = emittable
            .Select(static (plan, _) => plan is null ? default : (plan.ConvolutionTiles, plan.WeightGradientTiles))
            .Collect()
            .Combine(tilesClass);
        context.RegisterSourceOutput(tiles, static (production, input) => ProduceTiles(production, input.Left, input.Right));
    }

    private static NetworkModel ParseSafely(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        try
        {
            return Parser.Parse(context, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            var location = LocationInfo.From(context.TargetNode is TypeDeclarationSyntax declaration ? declaration.Identifier.GetLocation() : context.TargetNode.GetLocation());
            var name = context.TargetSymbol.Name;
            return new NetworkModel(null, name, "public", EquatableArray<ContainingType>.Empty, 0, 0, 0, EquatableArray<LayerModel>.Empty, location,
                new[] { Failure(name, "parsing", exception, location) }.ToEquatableArray(), Incomplete: true);
        }
    }

    private static NetworkPlan PlanSafely(NetworkModel model)
    {
        try
        {
            return Planner.Plan(model);
        }
        catch (Exception exception)
        {
            return NetworkPlan.Failed(model, model.Diagnostics.Concat(new[] { Failure(model.ClassName, "planning", exception, model.Location) }));
        }
    }

    /// <summary>The shared register tiles; nothing when no network has a convolution.</summary>
    private static void ProduceTiles(SourceProductionContext context, System.Collections.Immutable.ImmutableArray<(EquatableArray<RegisterTile> Convolution, EquatableArray<RegisterTile> WeightGradient)> tiles, string tilesClass)
    {
        if (tiles.All(entry => entry.Convolution.Count == 0 && entry.WeightGradient.Count == 0))
        {
            return;
        }

        string source;
        try
        {
            source = RegisterTileEmitter.Emit(tilesClass, tiles.SelectMany(entry => entry.Convolution), tiles.SelectMany(entry => entry.WeightGradient));
        }
        catch (Exception exception)
        {
            context.ReportDiagnostic(Failure("the register tiles", "emitting", exception, null).ToDiagnostic());
            return;
        }

        context.AddSource(TilesHintName, SourceText.From(source, Encoding.UTF8));
    }

    /// <summary>The hint name of the shared register tiles' file.</summary>
    public const string TilesHintName = "InceptionGen.RegisterTiles.g.cs";

    private static void Produce(SourceProductionContext context, NetworkPlan? plan, string tilesClass)
    {
        if (plan is null)
        {
            return;
        }

        string source;
        try
        {
            source = Emitter.Emit(plan, tilesClass);
        }
        catch (Exception exception)
        {
            context.ReportDiagnostic(Failure(plan.Model.ClassName, "emitting", exception, null).ToDiagnostic());
            return;
        }

        context.AddSource(plan.Model.FullName + ".g.cs", SourceText.From(source, Encoding.UTF8));
    }

    private static DiagnosticInfo Failure(string name, string step, Exception exception, LocationInfo? location)
        => DiagnosticInfo.Create(DiagnosticDescriptors.GeneratorFailure, location, name, $"{step}: {exception.GetType().Name}: {exception.Message}");
}
