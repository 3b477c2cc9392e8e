using System.Diagnostics;
using InceptionGen.Threading;

namespace InceptionGen.Diagnostics;

/// <summary>Which pass an op's time was spent in.</summary>
public enum OperationPhase
{
    /// <summary>The op's forward computation (inference or training).</summary>
    Forward,

    /// <summary>The gradient with respect to the op's input.</summary>
    InputGradient,

    /// <summary>The gradient with respect to the op's weights and bias.</summary>
    WeightGradient,

    /// <summary>Work for the whole network rather than one op: repacking weights, gathering weight gradients.</summary>
    Network,
}

/// <summary>Mean wall time of one op in one phase, per run.</summary>
/// <param name="Index">The op's index in <see cref="INetwork.Operations"/>; negative for <see cref="OperationPhase.Network"/> work.</param>
/// <param name="Operation">The op.</param>
/// <param name="Phase">Forward, input gradient or weight gradient.</param>
/// <param name="Milliseconds">Mean wall time per run on the worker pool.</param>
public readonly record struct OperationTime(int Index, OperationInfo Operation, OperationPhase Phase, double Milliseconds);

/// <summary>
/// Per-op timing of a generated network through its worker pool. Forward ops run under their index in
/// <see cref="INetwork.Operations"/>; the backward pass of op <c>i</c> runs under
/// <see cref="BackwardIndexBase"/> + 2i (input gradient) and + 2i + 1 (weight gradients), as the generator emits it.
/// </summary>
public static class OperationProfile
{
    /// <summary>The pool index of the first backward op; the generator's emitted <c>BackwardPass</c> uses the same base.</summary>
    public const int BackwardIndexBase = 1 << 16;

    /// <summary>The pool index of repacking every convolution's weights for the kernels (after each parameter update).</summary>
    public const int PackWeightsIndex = BackwardIndexBase - 1;

    /// <summary>The pool index of packing the transposed weights of the input-gradient convolutions (training).</summary>
    public const int PackTransposedWeightsIndex = BackwardIndexBase - 2;

    /// <summary>The pool index of adding the packed-order weight gradients into <c>Gradients</c> (training).</summary>
    public const int AddPackedGradientsIndex = BackwardIndexBase - 3;

    private static readonly (int Index, OperationInfo Work)[] s_networkWork =
    [
        (PackWeightsIndex, new OperationInfo("(pack weights)", "repack every convolution's weights and bias for the kernels", 0, false)),
        (PackTransposedWeightsIndex, new OperationInfo("(pack transposed weights)", "pack the flipped, transposed weights of the input-gradient convolutions", 0, true)),
        (AddPackedGradientsIndex, new OperationInfo("(gather weight gradients)", "add the packed-order weight gradients into Gradients", 0, true)),
    ];

    /// <summary>
    /// Starts adding up per-op time on <paramref name="pool"/> for every forward and backward op of
    /// <paramref name="network"/>; read it with <see cref="Read"/> after the runs.
    /// </summary>
    public static void Start(WorkerPool pool, INetwork network)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(network);
        pool.StartProfiling(BackwardIndexBase + 2 * network.Operations.Count);
    }

    /// <summary>The ops that took time since <see cref="Start"/>, in the order their indices run, divided by <paramref name="runs"/>.</summary>
    public static List<OperationTime> Read(WorkerPool pool, INetwork network, int runs)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        var ticks = pool.ProfileTicks;
        var times = new List<OperationTime>();
        for (var slot = 0; slot < ticks.Length; slot++)
        {
            if (ticks[slot] == 0)
            {
                continue;
            }

            var networkWork = Array.FindIndex(s_networkWork, work => work.Index == slot);
            if (networkWork >= 0)
            {
                times.Add(new OperationTime(-1 - networkWork, s_networkWork[networkWork].Work, OperationPhase.Network, ticks[slot] * 1000.0 / Stopwatch.Frequency / runs));
                continue;
            }

            var (index, phase) = slot < BackwardIndexBase
                ? (slot, OperationPhase.Forward)
                : ((slot - BackwardIndexBase) / 2, (slot - BackwardIndexBase) % 2 == 0 ? OperationPhase.InputGradient : OperationPhase.WeightGradient);
            if (index >= network.Operations.Count)
            {
                throw new InvalidOperationException($"the pool timed index {slot}, which is no op of {network.Summary.NetworkName} ({network.Operations.Count} ops)");
            }

            times.Add(new OperationTime(index, network.Operations[index], phase, ticks[slot] * 1000.0 / Stopwatch.Frequency / runs));
        }

        return times;
    }
}
