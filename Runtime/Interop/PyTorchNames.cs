using System;
using System.Text;

// Compiled into the generator too (netstandard2.0), so the graph it emits names tensors exactly as SafeTensors does.
#if INCEPTIONGEN_GENERATOR
namespace InceptionGen.Generator.Planning;
#else
namespace InceptionGen.Interop;
#endif

/// <summary>The mapping from declared parameter names to the names PyTorch's <c>state_dict</c> uses.</summary>
public static class PyTorchNames
{
    /// <summary>
    /// The PyTorch name of a declared parameter name: each dotted segment goes from PascalCase to snake_case (an
    /// underscore before an upper-case letter that follows a lower-case letter or digit, or that starts a word
    /// after an acronym; everything lower-cased; digits stay attached to what precedes them), and the last segment
    /// <c>Weights</c> becomes <c>weight</c>, <c>Bias</c> becomes <c>bias</c>. A name that already ends in a state_dict suffix
    /// (<c>weight</c>, <c>bias</c>, <c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>) is a layer's declared
    /// <c>Name</c> or a module's layer, which the generator names as PyTorch does: it stays as it is (<c>Mixed_6b.branch7x7_1.conv.weight</c>).
    /// </summary>
    /// <example>
    /// <list type="table">
    /// <item><term><c>Conv1.Weights</c></term><description><c>conv1.weight</c></description></item>
    /// <item><term><c>Conv2Reduce.Bias</c></term><description><c>conv2_reduce.bias</c></description></item>
    /// <item><term><c>Inception3a.Branch2Reduce.Bias</c></term><description><c>inception3a.branch2_reduce.bias</c></description></item>
    /// <item><term><c>Inception4e.Branch4Projection.Weights</c></term><description><c>inception4e.branch4_projection.weight</c></description></item>
    /// <item><term><c>Aux1.Hidden.Weights</c></term><description><c>aux1.hidden.weight</c></description></item>
    /// <item><term><c>LRNBlock.Weights</c></term><description><c>lrn_block.weight</c></description></item>
    /// </list>
    /// The mapping is one-to-one on GoogLeNet's names (a test checks it); in general two names differing only in
    /// case could collide, which <c>SafeTensors.Save</c> detects and refuses.
    /// </example>
    public static string From(string declaredName)
    {
        if (string.IsNullOrEmpty(declaredName))
        {
            throw new ArgumentException("A parameter name is required.", nameof(declaredName));
        }

        var segments = declaredName.Split('.');
        if (IsStateDictSuffix(segments[segments.Length - 1]))
        {
            // Already a state_dict key: a layer with a declared Name, or inside a module, is named as written.
            return declaredName;
        }

        for (var i = 0; i < segments.Length; i++)
        {
            segments[i] = i == segments.Length - 1 && segments[i] == "Weights" ? "weight"
                : i == segments.Length - 1 && segments[i] == "Bias" ? "bias"
                : SnakeCase(segments[i]);
        }

        return string.Join(".", segments);
    }

    /// <summary>The last segment of a state_dict key (never of a declared name, whose parts are <c>Weights</c>, <c>Bias</c>, <c>RunningMean</c>, ...).</summary>
    private static bool IsStateDictSuffix(string segment)
        => segment is "weight" or "bias" or "running_mean" or "running_var" or "num_batches_tracked";

    private static string SnakeCase(string segment)
    {
        var builder = new StringBuilder(segment.Length + 4);
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (char.IsUpper(c) && i > 0)
            {
                var previous = segment[i - 1];
                var nextIsLower = i + 1 < segment.Length && char.IsLower(segment[i + 1]);
                if (char.IsLower(previous) || char.IsDigit(previous) || (char.IsUpper(previous) && nextIsLower))
                {
                    builder.Append('_');
                }
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }
}
