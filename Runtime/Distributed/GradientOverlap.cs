using System.Diagnostics;
using InceptionGen.Diagnostics;
using InceptionGen.Threading;

namespace InceptionGen.Distributed;

/// <summary>
/// Sums gradient buckets over ranks on a thread of its own while the backward pass goes on. A bucket is the tensors
/// of one op whose weight-gradient work writes straight into the gradient block (<see cref="OperationInfo.WritesGradientsInPlace"/>:
/// the Linear layers), so they are final once that work has run in the last pass of images. The worker pool reports each op
/// (<see cref="WorkerPool.OperationCompleted"/>); the first step counts the passes (and sums everything after the
/// pass), later steps hand a bucket to the thread when its op has run that many times. The rest of the block
/// (convolutions, whose gradients are added up in the packed layout until the end of the pass) follows in offset
/// order. Every rank queues the same ranges in the same order, so the collectives match; each element is summed
/// in the same tree over ranks as without overlap, so results do not change.
/// </summary>
internal sealed class GradientOverlap : IDisposable
{
    private readonly ITrainableNetwork _network;
    private readonly Communicator _communicator;
    private readonly WorkerPool _pool;
    private readonly Dictionary<int, int> _bucketOfOperation = [];
    private readonly (int Offset, int Length)[] _buckets;
    private readonly (int Offset, int Length)[] _rest;
    private readonly int[] _completions;
    private readonly Queue<(int Offset, int Length)> _queue = new();
    private readonly Thread _thread;
    private readonly Action<int> _onOperation;
    private int _passes;
    private int _pending;
    private long _reduceTicks;
    private long _overlappedFloats;
    private bool _backwardRunning;
    private bool _disposed;
    private Exception? _failure;

    public GradientOverlap(ITrainableNetwork network, Communicator communicator, WorkerPool pool)
    {
        _network = network;
        _communicator = communicator;
        _pool = pool;
        var buckets = new List<(int Offset, int Length)>();
        foreach (var operation in network.Operations)
        {
            if (!operation.WritesGradientsInPlace || operation.Parameters.Count == 0)
            {
                continue;
            }

            var tensors = operation.Parameters.Select(name => network.Parameters.Find(name)!).ToList();
            var start = tensors.Min(t => t.Offset);
            _bucketOfOperation[operation.WeightGradientOperation] = buckets.Count;
            buckets.Add((start, tensors.Max(t => t.Offset + t.Length) - start));
        }

        _buckets = [.. buckets];
        _completions = new int[_buckets.Length];
        var rest = new List<(int Offset, int Length)>();
        var next = 0;
        foreach (var (offset, length) in _buckets.OrderBy(b => b.Offset))
        {
            if (offset > next)
            {
                rest.Add((next, offset - next));
            }

            next = Math.Max(next, offset + length);
        }

        if (next < network.Parameters.Length)
        {
            rest.Add((next, network.Parameters.Length - next));
        }

        _rest = [.. rest];
        _onOperation = OnOperation;
        _thread = new Thread(ReduceLoop) { IsBackground = true, Name = "InceptionGen gradient reduction" };
        _thread.Start();
    }

    public void BeginStep()
    {
        Array.Clear(_completions);
        _reduceTicks = 0;
        _overlappedFloats = 0;
        _backwardRunning = true;
        _pool.OperationCompleted = _onOperation;
    }

    /// <summary>Queues what is left, waits for every sum; returns the seconds spent summing and the floats that started during the backward pass.</summary>
    public (double ReduceSeconds, long OverlappedFloats) EndStep()
    {
        _pool.OperationCompleted = null;
        lock (_queue)
        {
            _backwardRunning = false;
            if (_passes == 0)
            {
                // The first step: learn how many passes a backward call makes, and sum everything now.
                _passes = _completions.Length == 0 ? 1 : _completions[0];
                foreach (var bucket in _buckets)
                {
                    Enqueue(bucket);
                }
            }

            foreach (var range in _rest)
            {
                Enqueue(range);
            }

            while (_pending > 0 && _failure is null)
            {
                Monitor.Wait(_queue);
            }

            if (_failure is not null)
            {
                throw new InvalidOperationException("summing gradients over ranks failed", _failure);
            }

            return (Stopwatch.GetElapsedTime(0, _reduceTicks).TotalSeconds, _overlappedFloats);
        }
    }

    private void OnOperation(int operation)
    {
        if (!_bucketOfOperation.TryGetValue(operation, out var bucket) || ++_completions[bucket] != _passes)
        {
            return;
        }

        lock (_queue)
        {
            Enqueue(_buckets[bucket]);
        }
    }

    private void Enqueue((int Offset, int Length) range)
    {
        _queue.Enqueue(range);
        _pending++;
        if (_backwardRunning)
        {
            _overlappedFloats += range.Length;
        }

        Monitor.PulseAll(_queue);
    }

    private void ReduceLoop()
    {
        while (true)
        {
            (int Offset, int Length) range;
            lock (_queue)
            {
                while (_queue.Count == 0 && !_disposed)
                {
                    Monitor.Wait(_queue);
                }

                if (_disposed)
                {
                    return;
                }

                range = _queue.Dequeue();
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                _communicator.SumInRankOrder(_network.Gradients.Span.Slice(range.Offset, range.Length));
            }
            catch (Exception e)
            {
                lock (_queue)
                {
                    _failure = e;
                    Monitor.PulseAll(_queue);
                }

                return;
            }

            lock (_queue)
            {
                _reduceTicks += Stopwatch.GetTimestamp() - started;
                _pending--;
                Monitor.PulseAll(_queue);
            }
        }
    }

    public void Dispose()
    {
        lock (_queue)
        {
            _disposed = true;
            Monitor.PulseAll(_queue);
        }

        _thread.Join();
    }
}
