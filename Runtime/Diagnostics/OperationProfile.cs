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
/// <see cref="INetwork.Operations"/>; the backward pass of op <c>i</c> runs under the network's
/// <see cref="NetworkSchedule.BackwardOperationBase"/> + 2i (input gradient) and + 2i + 1 (weight gradients), and
/// the per-step work under the schedule's own numbers: this class reads them from <see cref="INetwork.Schedule"/>.
/// </summary>
public static class OperationProfile
{
    private static readonly OperationInfo s_packWeights = new("(pack weights)", "repack every convolution's weights and bias for the kernels", 0, false);
    private static readonly OperationInfo s_packTransposedWeights = new("(pack transposed weights)", "pack the flipped, transposed weights of the input-gradient convolutions", 0, true);
    private static readonly OperationInfo s_addPackedGradients = new("(gather weight gradients)", "add the packed-order weight gradients into Gradients", 0, true);

    /// <summary>
    /// Starts adding up per-op time on <paramref name="pool"/> for every forward and backward op of
    /// <paramref name="network"/>; read it with <see cref="Read"/> after the runs.
    /// </summary>
    public static void Start(WorkerPool pool, INetwork network)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(network);
        pool.StartProfiling(network.Schedule.BackwardOperationBase + 2 * network.Operations.Count);
    }

    /// <summary>The ops that took time since <see cref="Start"/>, in the order their indices run, divided by <paramref name="runs"/>.</summary>
    public static List<OperationTime> Read(WorkerPool pool, INetwork network, int runs)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        var ticks = pool.ProfileTicks;
        var schedule = network.Schedule;
        (int Index, OperationInfo Work)[] networkWorks =
        [
            (schedule.PackWeightsOperation, s_packWeights),
            (schedule.PackTransposedWeightsOperation, s_packTransposedWeights),
            (schedule.AddPackedGradientsOperation, s_addPackedGradients),
        ];
        var times = new List<OperationTime>();
        for (var slot = 0; slot < ticks.Length; slot++)
        {
            if (ticks[slot] == 0)
            {
                continue;
            }

            var networkWork = Array.FindIndex(networkWorks, work => work.Index == slot);
            if (networkWork >= 0)
            {
                times.Add(new OperationTime(-1 - networkWork, networkWorks[networkWork].Work, OperationPhase.Network, ticks[slot] * 1000.0 / Stopwatch.Frequency / runs));
                continue;
            }

            var backwardBase = schedule.BackwardOperationBase;
            var (index, phase) = slot < backwardBase
                ? (slot, OperationPhase.Forward)
                : ((slot - backwardBase) / 2, (slot - backwardBase) % 2 == 0 ? OperationPhase.InputGradient : OperationPhase.WeightGradient);
            if (index >= network.Operations.Count)
            {
                throw new InvalidOperationException($"the pool timed index {slot}, which is no op of {network.Summary.NetworkName} ({network.Operations.Count} ops)");
            }

            times.Add(new OperationTime(index, network.Operations[index], phase, ticks[slot] * 1000.0 / Stopwatch.Frequency / runs));
        }

        return times;
    }
}
