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
/// <see cref="INetwork.Operations"/>, their backward work under the numbers each <see cref="OperationInfo"/> names
/// (<see cref="OperationInfo.InputGradientOperation"/>, <see cref="OperationInfo.WeightGradientOperation"/>), and
/// the per-step work under the schedule's own numbers (<see cref="INetwork.Schedule"/>): this class reads them all.
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
        var slots = network.Operations.Count;
        foreach (var operation in network.Operations)
        {
            slots = Math.Max(slots, Math.Max(operation.InputGradientOperation, operation.WeightGradientOperation) + 1);
        }

        var schedule = network.Schedule;
        slots = Math.Max(slots, Math.Max(schedule.PackWeightsOperation, Math.Max(schedule.PackTransposedWeightsOperation, schedule.AddPackedGradientsOperation)) + 1);
        pool.StartProfiling(slots);
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
        var phases = new Dictionary<int, (int Index, OperationPhase Phase)>();
        for (var index = 0; index < network.Operations.Count; index++)
        {
            var operation = network.Operations[index];
            phases[index] = (index, OperationPhase.Forward);
            if (operation.InputGradientOperation >= 0)
            {
                phases[operation.InputGradientOperation] = (index, OperationPhase.InputGradient);
            }

            if (operation.WeightGradientOperation >= 0)
            {
                phases[operation.WeightGradientOperation] = (index, OperationPhase.WeightGradient);
            }
        }

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

            if (!phases.TryGetValue(slot, out var run))
            {
                throw new InvalidOperationException($"the pool timed operation {slot}, which is no op of {network.Summary.NetworkName} ({network.Operations.Count} ops)");
            }

            var (index, phase) = run;
            times.Add(new OperationTime(index, network.Operations[index], phase, ticks[slot] * 1000.0 / Stopwatch.Frequency / runs));
        }

        return times;
    }
}
