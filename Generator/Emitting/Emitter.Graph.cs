using System.Collections.Generic;
using System.Linq;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Descriptors;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Emitting;

/// <summary>
/// The network's graph in PyTorch terms, from the plan's ops: layout conversions, padding copies and the output
/// copy vanish (a node reads what they read), an Inception module's branches write their own tensors and end in
/// a Concat, and every name goes through the same PyTorch mapping as the weight files.
/// </summary>
internal sealed partial class Emitter
{
    private void WriteGraph()
    {
        var w = _writer;
        var input = _plan.InputTensorPlan;
        var kinds = _plan.Layers.ToDictionary(layer => layer.Model.Name, layer => layer.Model.Kind);
        var names = new Dictionary<int, string> { [_plan.InputTensor] = "input" };
        var nodes = new List<(string Layer, string Code)>();
        var ops = _plan.Ops;
        var graphOps = Enumerable.Range(0, ops.Count).Where(index => !ops[index].IsNetworkBoundary && OpDescriptor.For(ops[index].Kind).InGraph).ToList();

        // A tensor that several ops write in slices (a module's concat) becomes a Concat node after its last writer.
        var lastWriter = new Dictionary<int, int>();
        var concats = new HashSet<int>();
        foreach (var index in graphOps)
        {
            var op = ops[index];
            if (lastWriter.ContainsKey(op.Output) || op.OutputChannelOffset > 0 || (op.OutChannels > 0 && op.OutChannels != _plan.Tensors[op.Output].Channels))
            {
                concats.Add(op.Output);
            }

            lastWriter[op.Output] = index;
        }

        var concatInputs = new Dictionary<int, List<string>>();
        for (var index = 0; index < ops.Count; index++)
        {
            var op = ops[index];
            if (op.IsNetworkBoundary || !OpDescriptor.For(op.Kind).InGraph)
            {
                names[op.Output] = names[op.Input];
                continue;
            }

            var isInception = kinds.TryGetValue(op.Layer, out var kind) && kind == LayerKind.Inception;
            var name = PyTorchNames.From(op.Kind == OpKind.MaxPool && isInception ? op.Layer + ".Pool" : op.QualifiedName);
            nodes.Add((op.Layer, NodeCode(op, name, names[op.Input])));
            if (!concats.Contains(op.Output))
            {
                names[op.Output] = name;
                continue;
            }

            if (!concatInputs.TryGetValue(op.Output, out var inputs))
            {
                concatInputs[op.Output] = inputs = new List<string>();
            }

            inputs.Add(name);
            if (lastWriter[op.Output] == index)
            {
                // The layer's own output is named after the layer; a concat inside a module after its tensor.
                var isLayerOutput = ops.Last(other => other.Layer == op.Layer).Output == op.Output;
                var concat = PyTorchNames.From(op.Layer) + (isLayerOutput ? "" : "." + _plan.Tensors[op.Output].Name);
                nodes.Add((op.Layer, $"new global::InceptionGen.ConcatNode({Quote(concat)}, [{string.Join(", ", inputs.Select(Quote))}], {Quote(concat)}, false),"));
                names[op.Output] = concat;
            }
        }

        w.Line("/// <summary>");
        w.Line("/// The network's graph in PyTorch terms: nodes in topological order, each reading earlier outputs, weights named as");
        w.Line("/// in the safetensors files; auxiliary heads are training only. <c>Graph.ToJson()</c> gives the JSON stored in weight files.");
        w.Line("/// </summary>");
        w.Line(GeneratedCode);
        w.Line($"public static global::InceptionGen.NetworkGraph Graph {{ get; }} = new({Quote(_model.ClassName)}, new({Quote("input")}, {input.Channels}, {input.Height}, {input.Width}), {Quote(names[_plan.OutputTensor])},");
        if (_plan.AuxiliaryLosses.Count == 0)
        {
            w.Line("    [],");
        }
        else
        {
            using (w.Block(null, "[", "],"))
            {
                foreach (var auxiliary in _plan.AuxiliaryLosses)
                {
                    w.Line($"new({Quote(names[auxiliary.Logits])}, {Float(auxiliary.Weight)}),");
                }
            }
        }

        using (w.Block(null, "[", "]);"))
        {
            string? layer = null;
            foreach (var node in nodes)
            {
                if (node.Layer != layer)
                {
                    layer = node.Layer;
                    w.Line($"// {layer}: {SummaryKind(layer)}");
                }

                w.Line(node.Code);
            }
        }

        w.Line();
    }

    internal string NodeCode(OpPlan op, string name, string input)
    {
        var head = $"{Quote(name)}, [{Quote(input)}], {Quote(name)}, {Bool(op.Auxiliary)}";
        return OpDescriptor.For(op.Kind).GraphNode(op, head);
    }

    internal static string WeightName(string? declared) => declared is null ? "null" : Quote(PyTorchNames.From(declared));

    internal static string Quote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
