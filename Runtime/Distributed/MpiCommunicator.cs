using System.Numerics;
using System.Numerics.Tensors;

namespace InceptionGen.Distributed;

/// <summary>Open MPI's MPI_COMM_WORLD, over <see cref="MpiLibrary"/>; one per process.</summary>
internal sealed unsafe class MpiCommunicator : Communicator
{
    private static readonly Lazy<MpiCommunicator> s_world = new(() => new MpiCommunicator(MpiLibrary.Load()));

    private const int ReduceTag = 1;

    // Messages are sent in pieces of at most this many elements (MPI counts are ints; smaller pieces also let
    // the receiver add one piece while the next is on the way through shared memory).
    private const int PieceLength = 1 << 20;

    private readonly MpiLibrary _mpi;
    private readonly object _lock = new();
    private float[] _floatScratch = [];
    private double[] _doubleScratch = [];
    private bool _finalized;

    private MpiCommunicator(MpiLibrary mpi)
    {
        _mpi = mpi;
        if (!mpi.Initialized)
        {
            // SERIALIZED: several threads may call MPI, one at a time (the overlapping trainer's reducing thread).
            var provided = mpi.InitThread(MpiLibrary.ThreadSerialized);
            if (provided < MpiLibrary.ThreadSerialized)
            {
                mpi.Abort(3);
                throw new InvalidOperationException($"Open MPI gave thread level {provided}; data-parallel training needs MPI_THREAD_SERIALIZED ({MpiLibrary.ThreadSerialized})");
            }
        }

        Rank = mpi.Rank();
        Size = mpi.Size();
    }

    public static MpiCommunicator World => s_world.Value;

    public override int Rank { get; }

    public override int Size { get; }

    public override void SumInRankOrder(Span<float> values)
    {
        lock (_lock)
        {
            if (_floatScratch.Length < Math.Min(values.Length, PieceLength))
            {
                _floatScratch = new float[Math.Min(values.Length, PieceLength)];
            }

            SumInRankOrder(values, _floatScratch, _mpi.Float);
        }
    }

    public override void SumInRankOrder(Span<double> values)
    {
        lock (_lock)
        {
            if (_doubleScratch.Length < Math.Min(values.Length, PieceLength))
            {
                _doubleScratch = new double[Math.Min(values.Length, PieceLength)];
            }

            SumInRankOrder(values, _doubleScratch, _mpi.Double);
        }
    }

    // The binomial tree of SumInTreeOrder, over ranks: at each distance a rank either takes its upper partner's
    // values (and adds them to its own) or gives its own to its lower partner and is done; rank 0 ends with the
    // sum and broadcasts it.
    private void SumInRankOrder<T>(Span<T> values, T[] scratch, nint type)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* data = values)
        fixed (T* received = scratch)
        {
            for (var distance = 1; distance < Size; distance *= 2)
            {
                if (Rank % (2 * distance) == distance)
                {
                    for (var start = 0; start < values.Length; start += PieceLength)
                    {
                        _mpi.Send(data + start, Math.Min(PieceLength, values.Length - start), type, Rank - distance, ReduceTag);
                    }

                    break;
                }

                if (Rank + distance < Size)
                {
                    for (var start = 0; start < values.Length; start += PieceLength)
                    {
                        var length = Math.Min(PieceLength, values.Length - start);
                        _mpi.Receive(received, length, type, Rank + distance, ReduceTag);
                        var mine = values.Slice(start, length);
                        TensorPrimitives.Add<T>(mine, scratch.AsSpan(0, length), mine);
                    }
                }
            }

            for (var start = 0; start < values.Length; start += PieceLength)
            {
                _mpi.Broadcast(data + start, Math.Min(PieceLength, values.Length - start), type, 0);
            }
        }
    }

    public override void Broadcast(Span<byte> data, int root)
    {
        lock (_lock)
        {
            fixed (byte* bytes = data)
            {
                _mpi.Broadcast(bytes, data.Length, _mpi.Byte, root);
            }
        }
    }

    public override void Barrier()
    {
        lock (_lock)
        {
            _mpi.Barrier();
        }
    }

    public override void Abort(int exitCode)
    {
        _mpi.Abort(exitCode);
        Environment.Exit(exitCode);
    }

    public override void Dispose()
    {
        lock (_lock)
        {
            if (!_finalized && !_mpi.Finalized)
            {
                _mpi.Shutdown();
            }

            _finalized = true;
        }
    }
}
