using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// A user-declared module (<c>[InceptionModule]</c> class deriving from <c>ModuleAttribute</c>), lowered recursively to the ops
/// of its branches' layers. A concat module is <see cref="InceptionLayer"/>'s scheme generalized: every branch's last op
/// writes its own block-aligned channel slice of one output tensor (a nested concat module at the end of a branch writes
/// its branches straight into the parent's slices), so there is no concat copy. A residual module adds its branches'
/// concat, scaled, to its input (<see cref="ResidualAddOp"/>).
/// <para>
/// Names: an op's part is the layer's path inside the module (<c>branch2.0</c>, <c>branch7x7_1.Conv</c>); its tensors are
/// named as PyTorch's state_dict (<c>Mixed_6b.branch7x7_1.conv.weight</c>): the use's Name (else the property's
/// snake_case), then each layer's segment (its Name, else the branch's snake_case, with the layer's index when the
/// branch has several). A nested module named <c>""</c> adds no segment.
/// </para>
/// </summary>
internal sealed class ModuleLayer : ILayerDescriptor
{
    public LayerTraits Traits { get; } = new(ReadsMap: true, MakesVector: false, NeedsBlockedInput: true, IsTap: false);

    /// <summary>Every layer of the module, nested ones included, checked by its own kind's rules at its own attribute.</summary>
    public bool CheckOptions(Planner planner, LayerModel layer)
    {
        var module = layer.Module!;
        var ok = planner.Check(module.Combine == ModuleCombineKind.Residual || !module.Relu, layer.Location, "Relu", module.TypeName, "true",
                "Relu applies to a residual module's sum; a concat module's branches end in their own ReLU")
            & planner.Check(module.Combine == ModuleCombineKind.Concat || (!float.IsNaN(module.ResidualScale) && !float.IsInfinity(module.ResidualScale)),
                layer.Location, "ResidualScale", module.TypeName, Planner.Float(module.ResidualScale), "it must be a finite number");
        foreach (var inner in module.Branches.SelectMany(branch => branch.Layers))
        {
            ok &= LayerDescriptors.For(inner.Kind).CheckOptions(planner, inner);
        }

        return ok;
    }

    public int? Lower(Planner planner, LayerModel layer, LayerInput input)
        => LowerModule(planner, layer.Name, layer, input.Trunk, "", layer.WeightName ?? PyTorchNames.From(layer.Name), destination: null, nested: false);

    public string KindText(LayerModel layer) => (layer.Module!.Combine == ModuleCombineKind.Residual ? "residual " : "") + "module " + layer.Module.TypeName;

    public string Handle(Emitter emitter, LayerPlan layer, string shape)
    {
        var name = layer.Model.Name;
        var convolutions = emitter.Plan.Ops.Where(op => op.Layer == name && op.Kind == OpKind.Conv).Select(op => emitter.ConvHandle(name, op.Part));
        return $"new global::InceptionGen.Module(\"{name}\", {shape}, [{string.Join(", ", convolutions)}])";
    }

    // ---- shapes ---------------------------------------------------------------------------------

    /// <summary>A map's channels and layout: physical channels (whole blocks) and the physical channel of each logical one (empty: the same).</summary>
    private sealed record MapShape(int Channels, int Physical, int[] Map, int Height, int Width)
    {
        public string Text => $"{Channels}x{Height}x{Width}";

        public static MapShape Of(TensorPlan tensor) => new(tensor.Channels, tensor.PhysicalChannels, tensor.ChannelMap.ToArray(), tensor.Height, tensor.Width);
    }

    /// <summary>A module's concat: its shape and each branch's channel offset in it.</summary>
    private sealed record ConcatShape(MapShape Concat, int[] Offsets, MapShape Output);

    /// <summary>The shape a layer gives <paramref name="input"/>, or null after reporting why there is none.</summary>
    private static MapShape? Infer(Planner planner, LayerModel layer, MapShape input)
    {
        switch (layer.Kind)
        {
            case LayerKind.Conv:
            {
                var height = Planner.ConvOutput(input.Height, layer.Kernel.Height, layer.Stride.Height, layer.Padding.Height);
                var width = Planner.ConvOutput(input.Width, layer.Kernel.Width, layer.Stride.Width, layer.Padding.Width);
                return NotEmpty(planner, layer, $"{ConvolutionOp.Text(layer.Kernel, layer.Stride)} pad {layer.Padding.ShortText}", input, height, width)
                    ? new MapShape(layer.OutChannels, Planner.RoundUp(layer.OutChannels), [], height, width)
                    : null;
            }

            case LayerKind.MaxPool or LayerKind.AvgPool:
            {
                var height = Planner.PoolOutput(input.Height, layer.Kernel.Height, layer.Stride.Height, layer.Padding.Height, layer.CeilMode);
                var width = Planner.PoolOutput(input.Width, layer.Kernel.Width, layer.Stride.Width, layer.Padding.Width, layer.CeilMode);
                var kind = layer.Kind == LayerKind.MaxPool ? OpKind.MaxPool : OpKind.AvgPool;
                return NotEmpty(planner, layer, PoolOp.Text(kind, layer.Kernel, layer.Stride), input, height, width) ? input with { Height = height, Width = width } : null;
            }

            case LayerKind.Module:
                return InferModule(planner, layer, input)?.Output;

            default:
                // BatchNorm keeps its input's shape.
                return input;
        }
    }

    private static bool NotEmpty(Planner planner, LayerModel layer, string what, MapShape input, int height, int width)
    {
        if (height > 0 && width > 0)
        {
            return true;
        }

        planner.Report(DiagnosticDescriptors.EmptyOutput, layer.Location, layer.Name, what, input.Text, $"{System.Math.Max(height, 0)}x{System.Math.Max(width, 0)}; add padding, or take it off a larger map");
        return false;
    }

    /// <summary>
    /// The branches' shapes on <paramref name="input"/>, their concat (slices on block boundaries, in declaration order) and
    /// the module's output; null after reporting why there is none (IG0025, IG0026, IG0005, IG0018).
    /// </summary>
    private static ConcatShape? InferModule(Planner planner, LayerModel layer, MapShape input)
    {
        var module = layer.Module!;
        var branches = new List<MapShape>();
        foreach (var branch in module.Branches)
        {
            var shape = input;
            foreach (var inner in branch.Layers)
            {
                if (Infer(planner, inner, shape) is not { } next)
                {
                    return null;
                }

                shape = next;
            }

            branches.Add(shape);
        }

        if (branches.Count == 0)
        {
            // The parser reported IG0028.
            return null;
        }

        if (branches.Any(shape => shape.Height != branches[0].Height || shape.Width != branches[0].Width))
        {
            var sizes = string.Join(", ", module.Branches.Select((branch, index) => $"{branch.Member} {branches[index].Height}x{branches[index].Width}"));
            planner.Report(DiagnosticDescriptors.BranchSizesDiffer, layer.Location, layer.Name, module.TypeName, input.Text, sizes);
            return null;
        }

        var physical = branches.Sum(shape => (long)shape.Physical);
        if ((BigInteger)physical * branches[0].Height * branches[0].Width > int.MaxValue / Planner.Block)
        {
            planner.ReportTooLarge(layer.Location, $"The concat of '{layer.Name}' ({branches.Sum(shape => (long)shape.Channels)}x{branches[0].Height}x{branches[0].Width})",
                (BigInteger)physical * branches[0].Height * branches[0].Width, int.MaxValue / Planner.Block);
            return null;
        }

        // Slices in branch order, each on a block boundary; a branch that passes a map through keeps its gaps.
        var map = new List<int>();
        var offsets = new int[branches.Count];
        var offset = 0;
        for (var index = 0; index < branches.Count; index++)
        {
            var shape = branches[index];
            offsets[index] = offset;
            for (var channel = 0; channel < shape.Channels; channel++)
            {
                map.Add(offset + (shape.Map.Length > 0 ? shape.Map[channel] : channel));
            }

            var last = module.Branches[index].Layers[module.Branches[index].Layers.Count - 1];
            if (last.Kind == LayerKind.Conv && shape.Channels % Planner.Block != 0)
            {
                planner.Report(DiagnosticDescriptors.PaddedBranch, layer.Location, layer.Name + "." + module.Branches[index].Member, shape.Channels, shape.Physical, shape.Physical - shape.Channels);
            }

            offset += shape.Physical;
        }

        var identity = map.Select((physicalChannel, logical) => physicalChannel == logical).All(same => same);
        var concat = new MapShape(map.Count, offset, identity ? [] : map.ToArray(), branches[0].Height, branches[0].Width);
        if (module.Combine == ModuleCombineKind.Concat)
        {
            return new ConcatShape(concat, offsets, concat);
        }

        if (concat.Channels != input.Channels || concat.Height != input.Height || concat.Width != input.Width)
        {
            planner.Report(DiagnosticDescriptors.ResidualChannelMismatch, layer.Location, layer.Name, module.TypeName, concat.Channels, concat.Text, input.Text);
            return null;
        }

        return new ConcatShape(concat, offsets, input);
    }

    // ---- lowering -------------------------------------------------------------------------------

    /// <summary>
    /// Lowers a module on <paramref name="input"/>: into <paramref name="destination"/> (a parent's concat tensor and the
    /// channel where this module's slice starts) or a tensor of its own; returns the tensor written, or null.
    /// </summary>
    private static int? LowerModule(Planner planner, string opLayer, LayerModel layer, int input, string partPrefix, string stateDictPrefix, (int Tensor, int Offset)? destination, bool nested)
    {
        var module = layer.Module!;
        if (InferModule(planner, layer, MapShape.Of(planner.Tensors[input])) is not { } shape)
        {
            return null;
        }

        var concat = shape.Concat;
        var residual = module.Combine == ModuleCombineKind.Residual;
        // A nested module's own tensors say so: with Name = "" its path is its parent's.
        var tensorName = TensorName(opLayer, partPrefix) + (nested ? "_module" : "");
        int target, baseOffset;
        if (destination is { } slice && !residual)
        {
            (target, baseOffset) = slice;
        }
        else
        {
            var created = planner.AddTensor(tensorName + (residual ? "_branches" : ""), concat.Channels, concat.Physical, concat.Height, concat.Width, TensorLayout.Blocked, TensorStorage.Arena,
                concat.Map.ToEquatableArray());
            if (created is null)
            {
                return null;
            }

            (target, baseOffset) = (created.Value, 0);
        }

        for (var index = 0; index < module.Branches.Count; index++)
        {
            var layers = module.Branches[index].Layers;
            var current = input;
            for (var position = 0; position < layers.Count; position++)
            {
                var last = position == layers.Count - 1;
                var next = LowerLayer(planner, opLayer, layers[position], current, partPrefix, stateDictPrefix, last ? (target, baseOffset + shape.Offsets[index]) : null);
                if (next is null)
                {
                    return null;
                }

                current = next.Value;
            }
        }

        if (!residual)
        {
            return target;
        }

        var output = destination?.Tensor ?? planner.NewTensorLike(tensorName, planner.Tensors[input], concat.Height, concat.Width);
        ResidualAddOp.Add(planner, opLayer, partPrefix.Length == 0 ? "Residual" : partPrefix + ".Residual", input, target, output, destination?.Offset ?? 0, module.ResidualScale, module.Relu);
        return output;
    }

    /// <summary>One layer of a branch, into <paramref name="destination"/> when it is the branch's last, else into a tensor of its own.</summary>
    private static int? LowerLayer(Planner planner, string opLayer, LayerModel layer, int input, string partPrefix, string stateDictPrefix, (int Tensor, int Offset)? destination)
    {
        var segment = layer.WeightName ?? "";
        var part = Join(partPrefix, segment);
        var stateDict = Join(stateDictPrefix, segment);
        var source = planner.Tensors[input];
        var offset = destination?.Offset ?? 0;
        switch (layer.Kind)
        {
            case LayerKind.Conv:
            {
                var height = Planner.ConvOutput(source.Height, layer.Kernel.Height, layer.Stride.Height, layer.Padding.Height);
                var width = Planner.ConvOutput(source.Width, layer.Kernel.Width, layer.Stride.Width, layer.Padding.Width);
                if (layer.BatchNorm)
                {
                    // torchvision's BasicConv2d: conv without bias, then BN with the ReLU; the BN writes the branch's slice.
                    var convolved = planner.NewTensor(TensorName(opLayer, part) + "_conv", layer.OutChannels, height, width, TensorLayout.Blocked, TensorStorage.Arena);
                    ConvolutionOp.Add(planner, opLayer, part + "." + ConvolutionOp.BatchNormConvPart, input, convolved, 0, layer.OutChannels, layer.Kernel, layer.Stride, layer.Padding,
                        bias: false, relu: false, auxiliary: false, stateDictPrefix: stateDict + ".conv");
                    return BatchNormOp.Add(planner, layer, part + "." + ConvolutionOp.BatchNormPart, convolved, layer.Relu, auxiliary: false,
                        stateDictPrefix: stateDict + ".bn", destination: destination?.Tensor, channelOffset: offset, layerName: opLayer);
                }

                var output = destination?.Tensor ?? planner.NewTensor(TensorName(opLayer, part), layer.OutChannels, height, width, TensorLayout.Blocked, TensorStorage.Arena);
                ConvolutionOp.Add(planner, opLayer, part, input, output, offset, layer.OutChannels, layer.Kernel, layer.Stride, layer.Padding,
                    layer.Bias, layer.Relu, auxiliary: false, stateDictPrefix: stateDict);
                return output;
            }

            case LayerKind.MaxPool or LayerKind.AvgPool:
            {
                var height = Planner.PoolOutput(source.Height, layer.Kernel.Height, layer.Stride.Height, layer.Padding.Height, layer.CeilMode);
                var width = Planner.PoolOutput(source.Width, layer.Kernel.Width, layer.Stride.Width, layer.Padding.Width, layer.CeilMode);
                var output = destination?.Tensor ?? planner.NewTensorLike(TensorName(opLayer, part), source, height, width);
                PoolOp.Add(planner, layer.Kind == LayerKind.MaxPool ? OpKind.MaxPool : OpKind.AvgPool, opLayer, part, input, output, offset,
                    layer.Kernel, layer.Stride, layer.Padding, auxiliary: false, layer.CeilMode);
                return output;
            }

            case LayerKind.BatchNorm:
                return BatchNormOp.Add(planner, layer, part, input, layer.Relu, auxiliary: false, stateDictPrefix: stateDict, destination: destination?.Tensor, channelOffset: offset, layerName: opLayer);

            default:
                return LowerModule(planner, opLayer, layer, input, part, stateDict, destination, nested: true);
        }
    }

    private static string Join(string prefix, string segment) => prefix.Length == 0 ? segment : segment.Length == 0 ? prefix : prefix + "." + segment;

    /// <summary>A tensor's name: an identifier (channel maps are named after it), from the layer and the part's path.</summary>
    private static string TensorName(string layer, string part) => Planner.Snake(layer) + (part.Length == 0 ? "" : "_" + part.Replace('.', '_'));
}
