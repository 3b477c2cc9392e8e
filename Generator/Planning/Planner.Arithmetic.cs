using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;

namespace InceptionGen.Generator.Planning;

/// <summary>Shape arithmetic and names, shared by the passes.</summary>
internal sealed partial class Planner
{
    /// <summary>Output size of a convolution: floor((in + 2p − k) / s) + 1.</summary>
    public static int ConvOutput(int size, int kernel, int stride, int padding)
        => ClampToInt(Math.Floor((size + 2.0 * padding - kernel) / stride) + 1);

    /// <summary>
    /// Output size of a pooling: floor or ceil of (in + 2p − k) / s, plus 1; in ceil mode the last window
    /// must start inside the input or its left padding. That is PyTorch's rule; Caffe checks the last
    /// window only when p &gt; 0, which leaves a window wholly outside the input when s &gt; k.
    /// </summary>
    public static int PoolOutput(int size, int kernel, int stride, int padding, bool ceilMode)
    {
        var span = size + 2.0 * padding - kernel;
        if (span < 0)
        {
            return 0;
        }

        var output = ClampToInt((ceilMode ? Math.Ceiling(span / stride) : Math.Floor(span / stride)) + 1);
        if (ceilMode && (long)(output - 1) * stride >= (long)size + padding)
        {
            output--;
        }

        return output;
    }

    internal static int RoundUp(int count) => (count + Block - 1) / Block * Block;

    internal static int Blocks(int channels) => (channels + Block - 1) / Block;

    internal static long RoundUpLong(long count) => (count + Block - 1) / Block * Block;

    /// <summary>A size computed in double, clamped to int so that a huge one stays huge (and is reported as too large) instead of wrapping.</summary>
    private static int ClampToInt(double value) => value >= int.MaxValue ? int.MaxValue : value <= int.MinValue ? int.MinValue : (int)value;

    internal static string Float(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    internal static string Double(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Inception3a → inception3a, Branch2Reduce → branch2_reduce: tensor names in generated comments.</summary>
    public static string Snake(string name)
    {
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var character = name[i];
            if (char.IsUpper(character) && i > 0 && !char.IsUpper(name[i - 1]))
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(character));
        }

        return text.ToString();
    }
}
