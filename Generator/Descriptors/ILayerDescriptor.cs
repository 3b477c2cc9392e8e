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
/// One kind of declared layer, in one place: its option checks, its shape rule and lowering to primitive ops (which
/// lay out its parameters and count its multiply-adds), its summary text and its handle in the generated class.
/// A layer kind that is one primitive op is that op's descriptor too (<see cref="ConvolutionOp"/>, <see cref="PoolOp"/>, ...);
/// a composite one lowers to other ops (<see cref="InceptionLayer"/>, <see cref="AuxiliaryClassifierLayer"/>).
/// </summary>
internal interface ILayerDescriptor
{
    /// <summary>How the layer reads and changes the trunk.</summary>
    LayerTraits Traits { get; }

    /// <summary>Checks the option values; reports each bad one and returns false when any is wrong.</summary>
    bool CheckOptions(Planner planner, LayerModel layer);

    /// <summary>Infers the output shape and adds the layer's ops; the output tensor, or null after reporting why there is none.</summary>
    int? Lower(Planner planner, LayerModel layer, LayerInput input);

    /// <summary>The layer's kind in the summary, e.g. <c>conv 7x7/2</c>.</summary>
    string KindText(LayerModel layer);

    /// <summary>The expression that builds the layer's handle in the generated constructor.</summary>
    string Handle(Emitter emitter, LayerPlan layer, string shape);
}

/// <summary>How a layer reads and changes the trunk.</summary>
/// <param name="ReadsMap">Whether it needs a spatial map (IG0009 after a Linear or Flatten made the trunk a vector).</param>
/// <param name="MakesVector">Whether its output is a plain vector (Linear, Flatten): later spatial layers are an error.</param>
/// <param name="NeedsBlockedInput">Whether it reads the trunk in the blocked layout (the network input is converted once, on first use).</param>
/// <param name="IsTap">Whether it taps the trunk without changing it (an auxiliary head).</param>
internal sealed record LayerTraits(bool ReadsMap, bool MakesVector, bool NeedsBlockedInput, bool IsTap);

/// <summary>What a layer reads: the trunk (blocked when the layer asks for it), the layer that produced it, and the layer that made it a vector.</summary>
internal sealed record LayerInput(int Trunk, string? Producer, string? VectorProducer);

/// <summary>The one list of layer kinds.</summary>
internal static class LayerDescriptors
{
    private static readonly ILayerDescriptor s_inception = new InceptionLayer();
    private static readonly ILayerDescriptor s_auxiliary = new AuxiliaryClassifierLayer();
    private static readonly ILayerDescriptor s_module = new ModuleLayer();

    public static ILayerDescriptor For(LayerKind kind) => kind switch
    {
        LayerKind.Conv => (ILayerDescriptor)OpDescriptor.For(OpKind.Conv),
        LayerKind.MaxPool => (ILayerDescriptor)OpDescriptor.For(OpKind.MaxPool),
        LayerKind.AvgPool => (ILayerDescriptor)OpDescriptor.For(OpKind.AvgPool),
        LayerKind.GlobalAveragePool => (ILayerDescriptor)OpDescriptor.For(OpKind.GlobalAveragePool),
        LayerKind.AdaptiveAveragePool => (ILayerDescriptor)OpDescriptor.For(OpKind.AdaptiveAveragePool),
        LayerKind.LocalResponseNorm => (ILayerDescriptor)OpDescriptor.For(OpKind.LocalResponseNorm),
        LayerKind.Linear => (ILayerDescriptor)OpDescriptor.For(OpKind.Linear),
        LayerKind.Dropout => (ILayerDescriptor)OpDescriptor.For(OpKind.Dropout),
        LayerKind.Flatten => (ILayerDescriptor)OpDescriptor.For(OpKind.BlockedToPlain),
        LayerKind.BatchNorm => (ILayerDescriptor)OpDescriptor.For(OpKind.BatchNorm),
        LayerKind.Inception => s_inception,
        LayerKind.AuxiliaryClassifier => s_auxiliary,
        LayerKind.Module => s_module,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no descriptor for this layer kind"),
    };

    /// <summary>The handle of a layer without parameters: its name and output shape.</summary>
    public static string PlainHandle(LayerPlan layer, string shape)
        => $"new global::InceptionGen.{Parsing.Parser.PropertyTypeFor(layer.Model.Kind)}(\"{layer.Model.Name}\", {shape})";
}
