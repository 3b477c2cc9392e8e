using System;
using System.Collections.Generic;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Validation;

/// <summary>
/// After planning: the names the emitter derives from a layer and its part (<c>RunAuxConv</c> for part
/// <c>Conv</c> of <c>Aux</c>) must not meet each other, a fixed generated name (a layer <c>Operation</c> would
/// give <c>RunOperation</c>) or a member the user declared. Each clash is IG0022 at the layer or member.
/// </summary>
internal static class GeneratedNames
{
    /// <summary>How the emitter names the methods of an op: prefix + layer + part.</summary>
    private static readonly string[] s_opPrefixes = ["Run", "Pad", "BackwardRun", "BackwardPad", "Convolve", "TransposedConvolve", "WeightGradient"];

    public static List<DiagnosticInfo> Check(NetworkPlan plan)
    {
        var found = new List<DiagnosticInfo>();
        var owners = new Dictionary<string, (string Layer, string Part)>(StringComparer.Ordinal);
        var reported = new HashSet<string>(StringComparer.Ordinal);
        var locations = new Dictionary<string, LocationInfo?>(StringComparer.Ordinal);
        foreach (var layer in plan.Model.Layers)
        {
            locations[layer.Name] = layer.Location;
        }

        foreach (var op in plan.Ops)
        {
            foreach (var prefix in s_opPrefixes)
            {
                var name = prefix + op.Layer + op.Part;
                var clashes = GeneratedMembers.IsFixedName(name)
                    || (owners.TryGetValue(name, out var owner) && owner != (op.Layer, op.Part));
                owners[name] = (op.Layer, op.Part);
                if (clashes && reported.Add(op.Layer))
                {
                    found.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NameTakenByGeneratedMember,
                        locations.TryGetValue(op.Layer, out var location) ? location : plan.Model.Location, "Layer", op.Layer, plan.Model.ClassName));
                }
            }
        }

        foreach (var layer in plan.Model.Layers)
        {
            owners["_layer" + layer.Name] = (layer.Name, "");
        }

        foreach (var tensor in plan.Tensors)
        {
            owners["ChannelMapOf_" + tensor.Name] = (tensor.Name, "");
        }

        foreach (var member in plan.Model.CollisionCandidates)
        {
            if (owners.ContainsKey(member.Name))
            {
                found.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NameTakenByGeneratedMember, member.Location ?? plan.Model.Location, "Member", member.Name, plan.Model.ClassName));
            }
        }

        return found;
    }
}
