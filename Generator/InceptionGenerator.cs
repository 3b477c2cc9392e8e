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
        context.RegisterSourceOutput(emittable, static (production, plan) => Produce(production, plan));
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

    private static void Produce(SourceProductionContext context, NetworkPlan? plan)
    {
        if (plan is null)
        {
            return;
        }

        string source;
        try
        {
            source = Emitter.Emit(plan);
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
