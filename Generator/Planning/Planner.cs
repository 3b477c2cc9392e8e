using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;

namespace InceptionGen.Generator.Planning;

/// <summary>
/// Turns a parsed network into a <see cref="NetworkPlan"/> in passes, one file each:
/// <list type="number">
/// <item>validate (<c>Planner.Validate.cs</c>): the input shape and every option value;</item>
/// <item>infer shapes and lower (<c>Planner.Lower.cs</c>): each layer's output shape, and the primitive ops it becomes,
/// with the parameter layout (<c>Planner.Parameters.cs</c>) and register tiles (<c>Planner.Tiling.cs</c>) it needs;</item>
/// <item>fuse (<c>Planner.Fuse.cs</c>): ops merged where one can do the work of two;</item>
/// <item>choose algorithms (<c>Planner.Algorithm.cs</c>): direct or Winograd for each 3x3 stride-1 convolution;</item>
/// <item>plan memory (<c>Planner.Memory.cs</c>): the inference arena and the training memory;</item>
/// <item>schedule (<c>Planner.Schedule.cs</c>): items, numbers and identifier stems of every op.</item>
/// </list>
/// Problems become diagnostics at the offending attribute; after the first shape error, later layers
/// are still checked for bad options but not for shapes, so that one mistake reports once.
/// </summary>
internal sealed partial class Planner
{
    internal const int Block = 16;

    /// <summary>The network's tensors so far (the descriptors add theirs while lowering).</summary>
    internal List<TensorPlan> Tensors => _tensors;

    /// <summary>The ops so far, in execution order.</summary>
    internal List<OpPlan> Ops => _ops;

    /// <summary>The summary rows so far (parts of modules and heads; a layer's own row is inserted before them).</summary>
    internal List<SummaryRow> Summary => _summary;

    /// <summary>The auxiliary heads' losses.</summary>
    internal List<AuxiliaryLossPlan> AuxiliaryLosses => _auxiliaryLosses;

    private readonly NetworkModel _model;
    private readonly List<TensorPlan> _tensors = new();
    private readonly List<OpPlan> _ops = new();
    private readonly List<ParameterPlan> _parameters = new();
    private readonly List<SummaryRow> _summary = new();
    private readonly List<LayerPlan> _layers = new();
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private int _parameterOffset;
    private int _packedOffset;
    private readonly List<AuxiliaryLossPlan> _auxiliaryLosses = new();
    private int _logits = -1;
    private int _transposedLength;

    /// <summary>Floats per image of the training memory's tensors, before the scratch slots and masks: all the activation gradients need.</summary>
    private int _trainingGradientLength;
    private LayerModel? _currentLayer;

    private Planner(NetworkModel model)
    {
        _model = model;
        _diagnostics.AddRange(model.Diagnostics);
    }

    public static NetworkPlan Plan(NetworkModel model)
    {
        var planner = new Planner(model);
        return planner.Build();
    }

    private NetworkPlan Build()
    {
        var input = NewTensor("input", _model.Channels, _model.Height, _model.Width, TensorLayout.Plain, TensorStorage.Input);
        var output = input;
        if (_model.Incomplete)
        {
            // The compiler could not bind part of the declaration (e.g. [Conv("x")]) and reports that
            // itself; checking the half-read values would only add wrong diagnostics on top.
        }
        else if (CheckInputShape() && _model.Layers.Count == 0)
        {
            Report(DiagnosticDescriptors.NoLayers, _model.Location, _model.ClassName);
        }
        else if (_model.Layers.Count > 0)
        {
            output = PlanLayers(input);
        }

        // A plan with errors is not emitted, and its sizes may be out of range: count nothing for it.
        var failed = HasErrors || _model.Incomplete;
        if (!failed)
        {
            FuseInputLayoutWithPad();
            FoldBatchNorm();
            ChooseConvolutionAlgorithms();
        }

        var arenaLength = failed ? 0 : PlanMemory();
        var trainingLength = failed ? 0 : PlanTrainingMemory();
        if (!failed)
        {
            Schedule();
        }

        return new NetworkPlan(
            _model,
            _layers.ToEquatableArray(),
            _tensors.ToEquatableArray(),
            _ops.ToEquatableArray(),
            _parameters.ToEquatableArray(),
            _summary.ToEquatableArray(),
            _parameterOffset,
            _packedOffset,
            arenaLength,
            input,
            output,
            failed ? 0 : _parameters.Where(p => !p.Auxiliary && !p.IsBuffer).Sum(p => (long)p.Length),
            failed ? 0 : _parameters.Where(p => p.Auxiliary && !p.IsBuffer).Sum(p => (long)p.Length),
            failed ? 0 : _ops.Where(op => !op.Auxiliary && op.Kind == OpKind.Conv).Sum(op => op.MultiplyAdds),
            failed ? 0 : _ops.Where(op => !op.Auxiliary && op.Kind == OpKind.Linear).Sum(op => op.MultiplyAdds),
            failed ? 0 : _ops.Where(op => op.Auxiliary).Sum(op => op.MultiplyAdds),
            _diagnostics.ToEquatableArray(),
            trainingLength,
            _transposedLength,
            failed ? -1 : _logits,
            _auxiliaryLosses.ToEquatableArray(),
            _schedule,
            _convolutionTiles.ToEquatableArray(),
            _weightGradientTiles.ToEquatableArray(),
            _batchNormWorkspaceLength,
            _batchNormSumsLength,
            _trainingGradientLength);
    }

    private bool HasErrors => ErrorCount > 0;

    private int ErrorCount => _diagnostics.Count(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
}
