using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// An op without parameters: its backward is an input gradient only, by a vectorized kernel over blocks or rows
/// when it has one, else by the scalar reference image by image.
/// </summary>
internal abstract class DataOpDescriptor : OpDescriptor
{
    /// <summary>What an item of the vectorized input-gradient kernel is (<c>block</c>, <c>row</c>), or null when there is none.</summary>
    protected virtual string? VectorizedBackwardItem(OpPlan op, TensorPlan source) => null;

    /// <summary>The vectorized input-gradient call for one item.</summary>
    protected virtual string VectorizedBackwardCall(BackwardContext context) => "";

    /// <summary>The scalar reference input-gradient call for one image.</summary>
    protected abstract string ReferenceBackwardCall(BackwardContext context);

    public override void WriteBackward(Emitter emitter, BackwardContext context)
    {
        var w = emitter.Writer;
        if (context.ReadsNetworkInput)
        {
            w.Line("// Its input is the network input: its gradient is computed only when the caller asks for it.");
            using (w.Block("if (!__wantInputGradient)"))
            {
                w.Line("return;");
            }
        }

        if (VectorizedBackwardItem(context.Op, context.Source) is { } itemName)
        {
            using (w.Block($"if ({Emitter.Vector128Accelerated})"))
            {
                using (emitter.ItemLoop(context.Op.Schedule!.BackwardItemsPerImage, itemName))
                {
                    w.Line(VectorizedBackwardCall(context));
                }

                w.Line("return;");
            }
        }

        using (emitter.ImageLoop())
        {
            w.Line(ReferenceBackwardCall(context));
        }
    }

    /// <summary>One 16-channel plane (item <c>block</c>) of the op's input in the training memory.</summary>
    protected static string InputPlane(BackwardContext context, string memory)
    {
        var plane = Emitter.PlanePerBlock(context.Source);
        return Emitter.TrainingSlice(memory, context.Source, $"block * {plane}", plane);
    }

    /// <summary>One 16-channel plane (item <c>block</c>) of the op's output, in its concat slice.</summary>
    protected static string OutputPlane(BackwardContext context, string memory)
    {
        var target = context.Target;
        var plane = Emitter.PlanePerBlock(target);
        return Emitter.TrainingSlice(memory, target, Emitter.Add(context.Op.OutputChannelOffset * target.Height * target.Width, $"block * {plane}"), plane);
    }
}
