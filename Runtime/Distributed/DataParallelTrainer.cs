using System.Diagnostics;
using System.Numerics.Tensors;
using InceptionGen.Threading;
using InceptionGen.Training;

namespace InceptionGen.Distributed;

/// <summary>What one <see cref="DataParallelTrainer.TrainStep"/> spent, in seconds, and how much it sent.</summary>
/// <param name="Backward">This rank's forward and backward passes (its shards).</param>
/// <param name="Reduce">Summing the gradients over ranks, wherever it ran.</param>
/// <param name="ExposedReduce">The part of <paramref name="Reduce"/> after the backward pass ended (what the step waited for).</param>
/// <param name="ReducedFloats">Gradient floats summed over ranks.</param>
/// <param name="OverlappedFloats">Of those, the floats whose sum started while the backward pass was still running.</param>
public readonly record struct DataParallelStepTime(double Backward, double Reduce, double ExposedReduce, long ReducedFloats, long OverlappedFloats);

/// <summary>
/// Data-parallel training over the ranks of a <see cref="Communicator"/> (processes started by <c>mpirun</c>) for
/// any generated network. The global batch is cut into <see cref="Shards"/> equal shards; rank r runs the generated
/// forward and backward pass on its consecutive shards, the shard gradients are added in a fixed binary tree over
/// shard order (<see cref="Communicator.SumInTreeOrder{T}"/>: within the rank, then across ranks), scaled by
/// 1/<see cref="Shards"/>, and every rank takes the same optimizer step.
/// <para>
/// <b>Determinism.</b> The result depends on the shard count, never on the rank count: the same seed and shards give
/// bit-identical weights with 1 process (running the shards one after the other) and with any rank count that
/// divides the shards into power-of-two groups, and on every rerun. One shard is exactly today's single-process
/// <c>TrainStep</c>. Shard s draws its dropout masks from the seed mixed with s (shard 0 keeps the seed), so
/// shards do not share masks.
/// </para>
/// <para>
/// <b>BatchNorm buffers.</b> Each shard normalizes with its own batch statistics, as PyTorch's
/// DistributedDataParallel does without SyncBatchNorm. Every shard starts from the same running statistics, and the
/// step keeps their mean change over shards (summed in the same tree order as the gradients): so the running
/// statistics follow the whole global batch, every rank holds the same ones, and they too depend on the shard count
/// only. <c>num_batches_tracked</c> grows by one per step; frozen statistics stay bit for bit.
/// </para>
/// </summary>
public sealed class DataParallelTrainer : IDisposable
{
    private readonly ITrainableNetwork _network;
    private readonly Communicator _communicator;
    private readonly List<float[]> _localShardGradients = [];
    private readonly double[] _losses;
    private readonly GradientOverlap? _overlap;
    private readonly ParameterTensor[] _buffers;
    private readonly float[] _buffersAtStart;
    private readonly List<float[]> _shardBufferChanges = [];

    /// <param name="network">This rank's copy of the network (every rank builds it with the same seed).</param>
    /// <param name="communicator">The ranks; <see cref="Communicator.Single"/> runs every shard in this process.</param>
    /// <param name="globalBatch">Images per optimizer step, over all ranks.</param>
    /// <param name="shards">Shards of each batch: a multiple of the rank count with a power-of-two quotient, dividing <paramref name="globalBatch"/>; 0 means one per rank.</param>
    /// <param name="overlapPool">
    /// The worker pool <paramref name="network"/> runs on: given, the gradients of its Linear layers are summed over
    /// ranks on a separate thread while the backward pass goes on (as PyTorch's DistributedDataParallel does with
    /// its buckets). Convolution gradients are final only at the end of the pass (they are added up in the packed
    /// layout), so they are summed after it. Only with one shard per rank.
    /// </param>
    public DataParallelTrainer(ITrainableNetwork network, Communicator communicator, int globalBatch, int shards = 0, WorkerPool? overlapPool = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentOutOfRangeException.ThrowIfLessThan(globalBatch, 1);
        shards = shards == 0 ? communicator.Size : shards;
        var local = shards / communicator.Size;
        if (shards < 1 || shards % communicator.Size != 0 || !int.IsPow2(local))
        {
            throw new ArgumentException($"{shards} shard(s) cannot be spread over {communicator.Size} process(es): each process needs the same power-of-two number of shards (1, 2, 4...)", nameof(shards));
        }

        if (globalBatch % shards != 0)
        {
            throw new ArgumentException($"a batch of {globalBatch} does not split into {shards} equal shards", nameof(globalBatch));
        }

        if (globalBatch / shards > network.MaxBatch)
        {
            throw new ArgumentException($"a shard of {globalBatch / shards} images is larger than the network's maximum batch of {network.MaxBatch}", nameof(globalBatch));
        }

        _network = network;
        _communicator = communicator;
        GlobalBatch = globalBatch;
        Shards = shards;
        LocalShards = local;
        _losses = new double[3 * shards];
        _buffers = [.. network.Parameters.Tensors.Where(tensor => tensor.Role.IsBuffer())];
        _buffersAtStart = new float[_buffers.Sum(tensor => tensor.Length)];
        if (overlapPool is not null && local == 1 && communicator.Size > 1)
        {
            _overlap = new GradientOverlap(network, communicator, overlapPool);
        }
    }

    /// <summary>Images per optimizer step over all ranks.</summary>
    public int GlobalBatch { get; }

    /// <summary>Shards per batch (the unit of the reduction order).</summary>
    public int Shards { get; }

    /// <summary>Shards this rank runs per step.</summary>
    public int LocalShards { get; }

    /// <summary>Images per shard.</summary>
    public int ShardBatch => GlobalBatch / Shards;

    /// <summary>The first image of the global batch this rank trains on; it trains on <see cref="LocalImages"/> from there.</summary>
    public int FirstImage => _communicator.Rank * LocalShards * ShardBatch;

    /// <summary>Images of each global batch this rank trains on.</summary>
    public int LocalImages => LocalShards * ShardBatch;

    /// <summary>Whether Linear gradients are summed while the backward pass runs.</summary>
    public bool Overlaps => _overlap is not null;

    /// <summary>The times of the last step.</summary>
    public DataParallelStepTime LastStep { get; private set; }

    /// <summary>The dropout seed of shard <paramref name="shard"/>: the network's own for shard 0, an unrelated stream for the others.</summary>
    public static ulong ShardDropoutSeed(ulong seed, int shard)
        => shard == 0 ? seed : new SplitMix64(seed ^ (0x9E3779B97F4A7C15UL * (ulong)shard)).Next();

    /// <summary>
    /// Checks that every rank trains the same network, from the same weights and optimizer state, with the same
    /// batch and shards, plus the caller's own lines (options, a hash of the data): see <see cref="RunAgreement"/>.
    /// </summary>
    /// <exception cref="RunMismatchException">On every rank, if any rank differs.</exception>
    public void CheckAgreement(IOptimizer optimizer, string callerDescription = "")
    {
        ArgumentNullException.ThrowIfNull(callerDescription);
        RunAgreement.Check(_communicator, $"global_batch={GlobalBatch}\nshards={Shards}\n{RunAgreement.Describe(_network, optimizer)}{callerDescription}");
    }

    /// <summary>
    /// One optimizer step on the global batch: this rank's shards of <paramref name="images"/> and
    /// <paramref name="labels"/> (the whole global batch, or just this rank's <see cref="LocalImages"/> images,
    /// starting at <see cref="FirstImage"/>), gradients summed over every rank, then <paramref name="optimizer"/>.
    /// Every rank returns the loss of the whole batch.
    /// </summary>
    public TrainingLoss TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, IOptimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var inputLength = _network.InputLength;
        if (images.Length == GlobalBatch * inputLength && labels.Length == GlobalBatch)
        {
            images = images.Slice(FirstImage * inputLength, LocalImages * inputLength);
            labels = labels.Slice(FirstImage, LocalImages);
        }
        else if (images.Length != LocalImages * inputLength || labels.Length != LocalImages)
        {
            throw new ArgumentException($"pass the global batch ({GlobalBatch} images and labels) or this rank's {LocalImages}; got {images.Length / inputLength} images and {labels.Length} labels");
        }

        var watch = Stopwatch.StartNew();
        var seed = _network.DropoutSeed;
        var step = _network.TrainingStep;
        Array.Clear(_losses);
        var gradients = _network.Gradients.Span;
        _overlap?.BeginStep();
        var averagesBuffers = _buffers.Length > 0 && Shards > 1;
        if (averagesBuffers)
        {
            CopyBuffers(_network.Parameters.ReadOnlySpan, _buffersAtStart);
        }

        try
        {
            for (var local = 0; local < LocalShards; local++)
            {
                var shard = _communicator.Rank * LocalShards + local;
                if (averagesBuffers && local > 0)
                {
                    RestoreBuffers(_buffersAtStart);
                }

                _network.DropoutSeed = ShardDropoutSeed(seed, shard);
                _network.TrainingStep = step;
                var loss = _network.Backward(images.Slice(local * ShardBatch * inputLength, ShardBatch * inputLength), labels.Slice(local * ShardBatch, ShardBatch), ShardBatch);
                _losses[3 * shard] = loss.Total;
                _losses[3 * shard + 1] = loss.Main;
                _losses[3 * shard + 2] = loss.Correct;
                if (LocalShards > 1)
                {
                    if (_localShardGradients.Count <= local)
                    {
                        _localShardGradients.Add(new float[gradients.Length]);
                    }

                    gradients.CopyTo(_localShardGradients[local]);
                }

                if (averagesBuffers)
                {
                    if (_shardBufferChanges.Count <= local)
                    {
                        _shardBufferChanges.Add(new float[_buffersAtStart.Length]);
                    }

                    var change = _shardBufferChanges[local];
                    CopyBuffers(_network.Parameters.ReadOnlySpan, change);
                    TensorPrimitives.Subtract(change, _buffersAtStart, change);
                }
            }
        }
        finally
        {
            _network.DropoutSeed = seed;
            _network.TrainingStep = step + 1;
        }

        if (LocalShards > 1)
        {
            Communicator.SumInTreeOrder(_localShardGradients);
            _localShardGradients[0].CopyTo(gradients);
        }

        var backward = watch.Elapsed.TotalSeconds;
        double reduce, exposed;
        long overlapped = 0;
        if (_overlap is not null)
        {
            (reduce, overlapped) = _overlap.EndStep();
            exposed = watch.Elapsed.TotalSeconds - backward;
        }
        else
        {
            _communicator.SumInRankOrder(gradients);
            reduce = exposed = watch.Elapsed.TotalSeconds - backward;
        }

        if (Shards > 1)
        {
            TensorPrimitives.Multiply(gradients, 1f / Shards, gradients);
        }

        _communicator.SumInRankOrder(_losses);
        if (averagesBuffers)
        {
            AverageBufferChanges();
        }

        optimizer.Step(_network.Parameters, gradients);
        LastStep = new DataParallelStepTime(backward, reduce, exposed, _communicator.Size > 1 ? gradients.Length : 0, overlapped);

        double total = 0, main = 0, correct = 0;
        for (var shard = 0; shard < Shards; shard++)
        {
            total += _losses[3 * shard];
            main += _losses[3 * shard + 1];
            correct += _losses[3 * shard + 2];
        }

        return new TrainingLoss((float)(total / Shards), (float)(main / Shards)) { Correct = (int)correct };
    }

    /// <summary>Sets every buffer to its value at the step's start plus the mean of the shards' changes.</summary>
    private void AverageBufferChanges()
    {
        if (LocalShards > 1)
        {
            Communicator.SumInTreeOrder(_shardBufferChanges);
        }

        var change = _shardBufferChanges[0];
        _communicator.SumInRankOrder(change.AsSpan());
        TensorPrimitives.Multiply(change, 1f / Shards, change);
        TensorPrimitives.Add(change, _buffersAtStart, change);
        RestoreBuffers(change);
    }

    private void CopyBuffers(ReadOnlySpan<float> parameters, Span<float> destination)
    {
        var offset = 0;
        foreach (var tensor in _buffers)
        {
            parameters.Slice(tensor.Offset, tensor.Length).CopyTo(destination[offset..]);
            offset += tensor.Length;
        }
    }

    private void RestoreBuffers(ReadOnlySpan<float> values)
    {
        var parameters = _network.Parameters.Span;
        var offset = 0;
        foreach (var tensor in _buffers)
        {
            values.Slice(offset, tensor.Length).CopyTo(parameters.Slice(tensor.Offset, tensor.Length));
            offset += tensor.Length;
        }
    }

    public void Dispose() => _overlap?.Dispose();
}
