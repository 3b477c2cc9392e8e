using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// <c>[Inception]</c>: table 1 of the paper, lowered to its branch convolutions (1x1; 1x1 reduce then 3x3; 1x1 reduce
/// then 5x5) and its 3x3 max pool with an optional 1x1 projection, each writing its slice of the concat.
/// </summary>
internal sealed class InceptionLayer : ILayerDescriptor
{
    private static readonly string[] s_parts = ["Branch1", "Branch2Reduce", "Branch2", "Branch3Reduce", "Branch3", "Branch4Projection"];

    public LayerTraits Traits { get; } = new(ReadsMap: true, MakesVector: false, NeedsBlockedInput: true, IsTap: false);

    public bool CheckOptions(Planner planner, LayerModel layer)
    {
        var names = new[] { "#1x1", "#3x3 reduce", "#3x3", "#5x5 reduce", "#5x5", "pool proj" };
        var widths = layer.InceptionWidths;
        var ok = true;
        for (var i = 0; i < names.Length; i++)
        {
            ok &= planner.NotNegative(layer.Location, layer.Name, names[i], widths[i]);
        }

        if (!ok)
        {
            return false;
        }

        if (widths[1] > 0 && widths[2] == 0)
        {
            planner.Report(DiagnosticDescriptors.InvalidInceptionWidths, layer.Location, layer.Name, $"#3x3 reduce is {widths[1]} but #3x3 is 0; set #3x3 above 0, or #3x3 reduce to 0 to drop the branch");
            ok = false;
        }

        if (widths[3] > 0 && widths[4] == 0)
        {
            planner.Report(DiagnosticDescriptors.InvalidInceptionWidths, layer.Location, layer.Name, $"#5x5 reduce is {widths[3]} but #5x5 is 0; set #5x5 above 0, or #5x5 reduce to 0 to drop the branch");
            ok = false;
        }

        return ok;
    }

    public int? Lower(Planner planner, LayerModel layer, LayerInput input) => LowerLayer(planner, layer, input.Trunk);

    public string KindText(LayerModel layer) => "inception";

    public string Handle(Emitter emitter, LayerPlan layer, string shape)
    {
        var name = layer.Model.Name;
        var parts = s_parts.Select(part => emitter.HasConvolution(name, part) ? emitter.ConvHandle(name, part) : "null");
        return $"new global::InceptionGen.Inception(\"{name}\", {shape}, {string.Join(", ", parts)}, hasPoolBranch: true)";
    }

    /// <summary>
    /// The four branches write straight into their channel slices of one output tensor, so there is no
    /// concat copy. A slice starts on a block boundary; a width that is not a multiple of 16 leaves a
    /// gap of zero channels, which the output's channel map skips.
    /// </summary>
    private static int? LowerLayer(Planner planner, LayerModel layer, int input)
    {
        var source = planner.Tensors[input];
        var widths = layer.InceptionWidths;
        int branch1 = widths[0], reduce3 = widths[1], branch3 = widths[2], reduce5 = widths[3], branch5 = widths[4], projection = widths[5];
        var poolWidth = projection > 0 ? projection : source.Channels;
        var poolPhysical = projection > 0 ? Planner.RoundUp(projection) : source.PhysicalChannels;

        // Check the concat's size before building its channel map, which holds one entry per channel.
        var physicalTotal = Planner.RoundUpLong(branch1) + Planner.RoundUpLong(branch3) + Planner.RoundUpLong(branch5) + (projection > 0 ? Planner.RoundUpLong(projection) : source.PhysicalChannels);
        if ((BigInteger)physicalTotal * source.Height * source.Width > int.MaxValue / Planner.Block)
        {
            var logical = (long)branch1 + branch3 + branch5 + (projection > 0 ? projection : source.Channels);
            planner.ReportTooLarge(layer.Location, $"Tensor '{Planner.Snake(layer.Name)}' ({logical}x{source.Height}x{source.Width})", (BigInteger)physicalTotal * source.Height * source.Width, int.MaxValue / Planner.Block);
            return null;
        }

        // Channel slices in branch order; the pass-through pool keeps its input's own gaps.
        var map = new List<int>();
        var offset = 0;
        var slices = new (int Width, int Offset)[4];
        var branchWidths = new[] { branch1, branch3, branch5, poolWidth };
        for (var branch = 0; branch < 4; branch++)
        {
            var width = branchWidths[branch];
            slices[branch] = (width, offset);
            if (width == 0)
            {
                continue;
            }

            for (var channel = 0; channel < width; channel++)
            {
                var physical = branch == 3 && projection == 0 && source.ChannelMap.Count > 0 ? source.ChannelMap[channel] : channel;
                map.Add(offset + physical);
            }

            var physicalWidth = branch == 3 ? poolPhysical : Planner.RoundUp(width);
            if (branch < 3 && width % Planner.Block != 0)
            {
                var name = new[] { "Branch1", "Branch2", "Branch3" }[branch];
                planner.Report(DiagnosticDescriptors.PaddedBranch, layer.Location, layer.Name + "." + name, width, physicalWidth, physicalWidth - width);
            }

            offset += physicalWidth;
        }

        var channels = branch1 + branch3 + branch5 + poolWidth;
        var identity = map.Select((physical, logical) => physical == logical).All(same => same);
        var output = planner.AddTensor(Planner.Snake(layer.Name), channels, offset, source.Height, source.Width, TensorLayout.Blocked, TensorStorage.Arena,
            identity ? EquatableArray<int>.Empty : map.ToEquatableArray());
        if (output is null)
        {
            return null;
        }

        AddBranch(planner, layer.Name, "Branch1", null, input, output.Value, slices[0].Offset, 0, branch1, 1);
        AddBranch(planner, layer.Name, "Branch2", "Branch2Reduce", input, output.Value, slices[1].Offset, reduce3, branch3, 3);
        AddBranch(planner, layer.Name, "Branch3", "Branch3Reduce", input, output.Value, slices[2].Offset, reduce5, branch5, 5);

        var poolTarget = projection > 0 ? planner.NewTensorLike(Planner.Snake(layer.Name) + "_pool", source, source.Height, source.Width) : output.Value;
        PoolOp.Add(planner, OpKind.MaxPool, layer.Name, "Branch4Pool", input, poolTarget, projection > 0 ? 0 : slices[3].Offset, 3, 1, 1, auxiliary: false);
        if (projection > 0)
        {
            ConvolutionOp.Add(planner, layer.Name, "Branch4Projection", poolTarget, output.Value, slices[3].Offset, projection, 1, 1, 0, bias: true, relu: true, auxiliary: false);
        }

        return output;
    }

    private static void AddBranch(Planner planner, string layer, string part, string? reducePart, int input, int output, int channelOffset, int reduceWidth, int width, int kernel)
    {
        if (width == 0)
        {
            return;
        }

        var source = input;
        if (reduceWidth > 0 && reducePart is not null)
        {
            var inputPlan = planner.Tensors[input];
            source = planner.NewTensor(Planner.Snake(layer) + "_" + Planner.Snake(reducePart), reduceWidth, inputPlan.Height, inputPlan.Width, TensorLayout.Blocked, TensorStorage.Arena);
            ConvolutionOp.Add(planner, layer, reducePart, input, source, 0, reduceWidth, 1, 1, 0, bias: true, relu: true, auxiliary: false);
        }

        ConvolutionOp.Add(planner, layer, part, source, output, channelOffset, width, kernel, 1, kernel / 2, bias: true, relu: true, auxiliary: false);
    }
}
