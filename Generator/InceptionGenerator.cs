using System;
using System.Linq;
using System.Text;
using System.Threading;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Parsing;
using InceptionGen.Generator.Planning;
using InceptionGen.Generator.Validation;
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

    public const string SourceStep = "Source";
    public const string HintNamesStep = "HintNames";
    public const string HidingTypesStep = "HidingTypes";

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
        // A type 'System' or 'InceptionGen' in the global namespace breaks every network's code: nothing is
        // generated while one exists. Found from syntax, so an edit re-checks only the edited file.
        var hidingTypes = context.SyntaxProvider
            .CreateSyntaxProvider(
                predicate: static (node, _) => DeclarationChecks.HidesANamespaceTheCodeUses(node),
                transform: static (syntaxContext, _) => DeclarationChecks.HidingTypeDiagnostic(syntaxContext.Node))
            .Collect()
            .Select(static (found, _) => found.ToEquatableArray())
            .WithTrackingName(HidingTypesStep);
        var emittable = plans
            .Select(static (plan, _) => plan.IsEmittable ? plan.WithoutLocations() : null)
            .Combine(hidingTypes)
            .Select(static (input, _) => input.Right.Count == 0 ? input.Left : null)
            .WithTrackingName(EmitStep);
        var anyNetwork = plans.Collect().Select(static (all, _) => all.Length > 0);
        context.RegisterSourceOutput(hidingTypes.Combine(anyNetwork), static (production, input) =>
        {
            foreach (var diagnostic in input.Right ? input.Left : EquatableArray<DiagnosticInfo>.Empty)
            {
                production.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        // The source is written in a step of its own, so that a failure can be reported at the class (whose
        // location the step does not hold) and the output callbacks only hand over strings.
        // The register tiles are shared by the networks of the compilation, in one class named after the assembly.
        var tilesClass = context.CompilationProvider.Select(static (compilation, _) => RegisterTileEmitter.ClassName(compilation.AssemblyName));
        var sources = emittable
            .Combine(tilesClass)
            .Select(static (input, _) => EmitSafely(input.Left, input.Right))
            .WithTrackingName(SourceStep);
        var hintNames = sources
            .Select(static (source, _) => source?.FullName)
            .Collect()
            .Select(static (names, _) => names.OfType<string>().ToEquatableArray())
            .WithTrackingName(HintNamesStep);

        context.RegisterSourceOutput(diagnostics, static (production, found) =>
        {
            foreach (var diagnostic in found)
            {
                production.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });
        context.RegisterSourceOutput(sources.Combine(hintNames), static (production, input) => AddSource(production, input.Left, input.Right));
        var tiles = emittable
            .Select(static (plan, _) => plan is null ? default : (plan.ConvolutionTiles, plan.WeightGradientTiles))
            .Collect()
            .Combine(tilesClass);
        context.RegisterSourceOutput(tiles, static (production, input) => ProduceTiles(production, input.Left, input.Right));

        // Emission failures, reported at the class. The join with every network's location re-runs on any edit
        // above a class, but yields an equal (empty) list when nothing failed, so the output after it stays cached.
        var failures = sources
            .Select(static (source, _) => source is { Failure: not null } ? source : null)
            .Collect()
            .Select(static (found, _) => found.OfType<EmittedSource>().ToEquatableArray());
        var classLocations = plans
            .Select(static (plan, _) => new ClassLocation(plan.Model.FullName, plan.Model.Location))
            .Collect()
            .Select(static (found, _) => found.ToEquatableArray());
        var failureReports = failures
            .Combine(classLocations)
            .Select(static (input, _) => input.Left
                .Select(failure => DiagnosticInfo.Create(DiagnosticDescriptors.GeneratorFailure,
                    input.Right.FirstOrDefault(candidate => candidate.FullName == failure.FullName)?.Location, failure.FullName, failure.Failure))
                .ToEquatableArray());
        context.RegisterSourceOutput(failureReports, static (production, found) =>
        {
            foreach (var diagnostic in found)
            {
                production.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });
    }

    /// <summary>A network's generated source, or why writing it failed.</summary>
    private sealed record EmittedSource(string FullName, string? Source, string? Failure);

    private sealed record ClassLocation(string FullName, LocationInfo? Location);

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
            // Bounds first: the planner's arithmetic and searches are only safe on numbers within the limits.
            var overLimit = model.Incomplete ? [] : Limits.Check(model);
            var plan = overLimit.Count > 0 ? NetworkPlan.Failed(model, model.Diagnostics.Concat(overLimit)) : Planner.Plan(model);
            // The emitted passes start by converting the input to the blocked layout; a network with no layer that
            // needs it (only dropout, or linear layers on a vector input) has nothing to start from.
            if (plan.IsEmittable && !plan.Ops.Any(op => op.Kind == OpKind.InputToBlocked))
            {
                plan = plan with { Diagnostics = plan.Diagnostics.Concat([DiagnosticInfo.Create(DiagnosticDescriptors.NoSpatialLayer, model.Location, model.ClassName)]).ToEquatableArray() };
            }

            return plan;
        }
        catch (Exception exception)
        {
            return NetworkPlan.Failed(model, model.Diagnostics.Concat(new[] { Failure(model.ClassName, "planning", exception, model.Location) }));
        }
    }

    private static EmittedSource? EmitSafely(NetworkPlan? plan, string tilesClass)
    {
        if (plan is null)
        {
            return null;
        }

        try
        {
            return new EmittedSource(plan.Model.FullName, Emitter.Emit(plan, tilesClass), null);
        }
        catch (Exception exception)
        {
            return new EmittedSource(plan.Model.FullName, null, $"emitting: {exception.GetType().Name}: {exception.Message}");
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

    /// <summary>The hint name of the shared register tiles' file; a network's hint name never holds a '-', so none can take it.</summary>
    public const string TilesHintName = "InceptionGen-RegisterTiles.g.cs";

    private static void AddSource(SourceProductionContext context, EmittedSource? emitted, EquatableArray<string> allFullNames)
    {
        if (emitted?.Source is null)
        {
            return;
        }

        try
        {
            context.AddSource(HintNames.For(emitted.FullName, allFullNames), SourceText.From(emitted.Source, Encoding.UTF8));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Hint names are valid and unique by construction; should that ever fail, say so rather than let Roslyn drop every file (CS8785).
            context.ReportDiagnostic(Failure(emitted.FullName, "adding the source", exception, null).ToDiagnostic());
        }
    }

    private static DiagnosticInfo Failure(string name, string step, Exception exception, LocationInfo? location)
        => DiagnosticInfo.Create(DiagnosticDescriptors.GeneratorFailure, location, name, $"{step}: {exception.GetType().Name}: {exception.Message}");
}
