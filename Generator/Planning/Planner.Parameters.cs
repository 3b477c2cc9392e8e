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
    internal string AddParameter(string name, int[] shape, bool isBias, int fanIn, bool feedsRelu, bool auxiliary, string? role = null)
    {
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
