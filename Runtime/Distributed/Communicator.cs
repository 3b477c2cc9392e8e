using System.Numerics;
using System.Numerics.Tensors;

namespace InceptionGen.Distributed;

/// <summary>
/// The processes of a data-parallel run and the few collective operations it needs. <see cref="Single"/> is one
/// process (no MPI); <see cref="FromEnvironment"/> gives Open MPI's world when the process was started by
/// <c>mpirun</c>. Every rank must make the same calls in the same order.
/// </summary>
public abstract class Communicator : IDisposable
{
    /// <summary>This process's index, 0 to <see cref="Size"/> − 1; rank 0 writes files and prints.</summary>
    public abstract int Rank { get; }

    /// <summary>Processes in the run.</summary>
    public abstract int Size { get; }

    /// <summary>Rank 0: the one that writes checkpoints, metrics and weights.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>One process, no MPI: every collective is the identity.</summary>
    public static Communicator Single { get; } = new SingleProcess();

    /// <summary>Whether <c>mpirun</c> (Open MPI) started this process, whatever the process count.</summary>
    public static bool StartedByMpirun => Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null;

    /// <summary>
    /// Open MPI's world when this process was started by <c>mpirun</c> (initialized once per process, with
    /// libmpi.so.40 loaded only then), else <see cref="Single"/>.
    /// </summary>
    /// <exception cref="DllNotFoundException">Started by mpirun, but libmpi could not be loaded.</exception>
    public static Communicator FromEnvironment() => StartedByMpirun ? MpiCommunicator.World : Single;

    /// <summary>
    /// Replaces <paramref name="values"/> on every rank by the element-wise sum over ranks, added in a fixed binary
    /// tree over rank order (<see cref="SumInTreeOrder{T}"/>): the result is bit-identical on every rank and on
    /// every run, and equals what one process gets by adding the ranks' arrays in that order.
    /// </summary>
    public abstract void SumInRankOrder(Span<float> values);

    /// <inheritdoc cref="SumInRankOrder(Span{float})"/>
    public abstract void SumInRankOrder(Span<double> values);

    /// <summary>Copies <paramref name="data"/> of rank <paramref name="root"/> to every rank (all pass the same length).</summary>
    public abstract void Broadcast(Span<byte> data, int root);

    /// <summary>Returns when every rank has called it.</summary>
    public abstract void Barrier();

    /// <summary>Ends every process of the run with <paramref name="exitCode"/> (MPI_Abort); does not return.</summary>
    public abstract void Abort(int exitCode);

    /// <summary>Ends this process's part in the run (MPI_Finalize); a no-op for <see cref="Single"/>.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>
    /// The order in which <see cref="SumInRankOrder(Span{float})"/> adds: a binomial tree, at distance 1, 2, 4... the
    /// item at each multiple of twice the distance takes the one a distance above it (lower + higher). Sums
    /// <paramref name="items"/> in place into <c>items[0]</c>. A block of 2^k consecutive items, aligned to 2^k, is a
    /// subtree, so a rank that adds its own aligned block first and then takes part in the tree over ranks adds
    /// exactly as one process adding all items.
    /// </summary>
    public static void SumInTreeOrder<T>(IReadOnlyList<T[]> items)
        where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(items);
        for (var distance = 1; distance < items.Count; distance *= 2)
        {
            for (var lower = 0; lower + distance < items.Count; lower += 2 * distance)
            {
                TensorPrimitives.Add<T>(items[lower], items[lower + distance], items[lower]);
            }
        }
    }

    private sealed class SingleProcess : Communicator
    {
        public override int Rank => 0;

        public override int Size => 1;

        public override void SumInRankOrder(Span<float> values)
        {
        }

        public override void SumInRankOrder(Span<double> values)
        {
        }

        public override void Broadcast(Span<byte> data, int root) => ArgumentOutOfRangeException.ThrowIfNotEqual(root, 0);

        public override void Barrier()
        {
        }

        public override void Abort(int exitCode) => Environment.Exit(exitCode);

        public override void Dispose()
        {
        }
    }
}
