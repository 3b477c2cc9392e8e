using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;

namespace InceptionGen.Generator.Planning;

/// <summary>The parameter layout: every tensor of the parameter block and the packed-weights block, each on a 64-byte boundary.</summary>
internal sealed partial class Planner
{
    /// <summary>Each tensor's weight-file name and the layer that owns it, for IG0033.</summary>
    private readonly Dictionary<string, (string Layer, bool Named)> _weightFileNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _collidingLayers = new(StringComparer.Ordinal);

    internal string AddParameter(string name, int[] shape, bool isBias, int fanIn, bool feedsRelu, bool auxiliary, string? role = null)
    {
        CheckWeightFileName(name);
        var parameter = new ParameterPlan(name, _parameterOffset, shape.ToEquatableArray(), isBias, fanIn, feedsRelu, auxiliary, role);
        _parameters.Add(parameter);
        var end = _parameterOffset + shape.Aggregate(BigInteger.One, (product, dimension) => product * dimension);
        if (end > int.MaxValue - Block)
        {
            // The offset stays where it is: the plan has an error now and is not emitted.
            ReportTooLarge(_currentLayer?.Location ?? _model.Location, $"The parameter block up to '{name}'", end, int.MaxValue - Block);
            return name;
        }

        _parameterOffset += RoundUp(parameter.Length);
        return name;
    }

    /// <summary>
    /// IG0033 when a layer with a declared Name or inside a module would save a tensor under a name another tensor already
    /// has (once per layer). Other layers' names come from distinct property names, as before.
    /// </summary>
    private void CheckWeightFileName(string name)
    {
        var layer = _currentLayer?.Name ?? "";
        var named = _currentLayer is { } current && (current.WeightName is not null || current.Kind == LayerKind.Module);
        var weightFileName = PyTorchNames.From(name);
        if (_weightFileNames.TryGetValue(weightFileName, out var owner))
        {
            if ((named || owner.Named) && _collidingLayers.Add(layer))
            {
                Report(DiagnosticDescriptors.CollidingLayerNames, _currentLayer?.Location ?? _model.Location, layer, weightFileName, owner.Layer);
            }

            return;
        }

        _weightFileNames[weightFileName] = (layer, named);
    }

    /// <summary>
    /// Space in the packed-weights block (the kernels' copy of the weights, in whole output blocks and
    /// physical input channels); its offset. Too large a block is IG0018 and the offset stays put.
    /// </summary>
    internal int ReservePacked(string name, long length)
    {
        var offset = _packedOffset;
        var end = (BigInteger)offset + RoundUpLong(length);
        if (length < 0 || end > int.MaxValue - Block)
        {
            ReportTooLarge(_currentLayer?.Location ?? _model.Location, $"The packed convolution weights up to '{name}'", end, int.MaxValue - Block);
            return offset;
        }

        _packedOffset = (int)end;
        return offset;
    }
}
