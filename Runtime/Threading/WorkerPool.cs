using System.Runtime.ExceptionServices;

namespace InceptionGen.Threading;

/// <summary>Work split into numbered items; <see cref="Execute"/> runs items [begin, end) of one operation.</summary>
public interface IRangeWork
{
    void Execute(int operation, int begin, int end);
}

/// <summary>
/// A fixed set of threads for data-parallel kernels, with no allocation per call. The calling thread
/// takes part; workers spin for a short while between calls (layers follow each other within
/// microseconds) and then sleep. Items are handed out in chunks from a shared counter, so uneven items
/// balance themselves; which thread runs an item never changes its result.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private const int SpinIterations = 20_000;

    private static readonly Lazy<WorkerPool> s_shared = new(() => new WorkerPool(DefaultThreadCount()));

    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _wakeSignals;
    private readonly int[] _sleeping;
    private readonly object _runLock = new();

    private IRangeWork? _work;
    private int _operation;
    private int _count;
    private int _chunk;
    private int _nextItem;
    private int _pendingWorkers;
    private int _generation;
    private volatile bool _disposed;
    private ExceptionDispatchInfo? _failure;
    private long[]? _profileTicks;

    /// <param name="threadCount">Threads that run items, the caller included; at least 1.</param>
    public WorkerPool(int threadCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threadCount, 1);
        ThreadCount = threadCount;
        _workers = new Thread[threadCount - 1];
        _wakeSignals = new SemaphoreSlim[threadCount - 1];
        _sleeping = new int[threadCount - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            var index = i;
            _wakeSignals[i] = new SemaphoreSlim(0);
            _workers[i] = new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"InceptionGen worker {i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>The process-wide pool: one thread per core, or <c>INCEPTIONGEN_THREADS</c> when set.</summary>
    public static WorkerPool Shared => s_shared.Value;

    /// <summary>Threads that run items, the calling thread included.</summary>
    public int ThreadCount { get; }

    /// <summary>Runs items [0, <paramref name="count"/>) of <paramref name="operation"/> on every thread and returns when all are done.</summary>
    public void Run(IRangeWork work, int operation, int count)
    {
        if (count <= 0)
        {
            return;
        }

        if (SkippedOperations is { } skipped && (uint)operation < (uint)skipped.Length && skipped[operation])
        {
            OperationCompleted?.Invoke(operation);
            return;
        }

        var profile = _profileTicks;
        var started = profile is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        if (_workers.Length == 0 || count == 1)
        {
            work.Execute(operation, 0, count);
        }
        else
        {
            RunOnAllThreads(work, operation, count);
        }

        if (profile is not null && (uint)operation < (uint)profile.Length)
        {
            profile[operation] += System.Diagnostics.Stopwatch.GetTimestamp() - started;
        }

        OperationCompleted?.Invoke(operation);
    }

    /// <summary>
    /// Operations (by index) that <see cref="Run"/> does not run: fine-tuning skips the weight-gradient ops of frozen
    /// layers (<see cref="Training.FineTuning.SkipFrozenWeightGradients"/>). <see cref="OperationCompleted"/> is still called.
    /// </summary>
    public bool[]? SkippedOperations { get; set; }

    /// <summary>
    /// Called on the calling thread after each <see cref="Run"/>, with its operation index (data-parallel training
    /// starts summing a layer's gradients over processes as soon as its weight-gradient op is done).
    /// </summary>
    public Action<int>? OperationCompleted { get; set; }

    /// <summary>
    /// Starts adding up, per operation index, the wall time of <see cref="Run"/> calls (for per-layer
    /// reports); <see cref="ProfileTicks"/> reads them in <see cref="System.Diagnostics.Stopwatch"/> ticks.
    /// </summary>
    public void StartProfiling(int operations) => _profileTicks = new long[operations];

    /// <summary>Ticks per operation since <see cref="StartProfiling"/>; empty when not profiling.</summary>
    public ReadOnlySpan<long> ProfileTicks => _profileTicks;

    private void RunOnAllThreads(IRangeWork work, int operation, int count)
    {
        lock (_runLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _work = work;
            _operation = operation;
            _count = count;
            _chunk = Math.Max(1, count / (ThreadCount * 4));
            _nextItem = 0;
            _failure = null;
            Volatile.Write(ref _pendingWorkers, _workers.Length);
            Interlocked.Increment(ref _generation);
            for (var i = 0; i < _workers.Length; i++)
            {
                if (Interlocked.CompareExchange(ref _sleeping[i], 0, 1) == 1)
                {
                    _wakeSignals[i].Release();
                }
            }

            RunItems();
            var spinner = new SpinWait();
            while (Volatile.Read(ref _pendingWorkers) > 0)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            _work = null;
            _failure?.Throw();
        }
    }

    private void RunItems()
    {
        try
        {
            var work = _work!;
            while (true)
            {
                var begin = Interlocked.Add(ref _nextItem, _chunk) - _chunk;
                if (begin >= _count)
                {
                    return;
                }

                work.Execute(_operation, begin, Math.Min(begin + _chunk, _count));
            }
        }
        catch (Exception exception)
        {
            // Keep the first failure; stop handing out items so every thread finishes quickly.
            Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(exception), null);
            Volatile.Write(ref _nextItem, int.MaxValue / 2);
        }
    }

    private void WorkerLoop(int index)
    {
        var seen = 0;
        while (true)
        {
            var spins = 0;
            while (Volatile.Read(ref _generation) == seen && !_disposed)
            {
                if (++spins < SpinIterations)
                {
                    // Now and then give the core away: with more runnable threads than cores, the thread we wait
                    // for gets to run; otherwise Yield returns at once.
                    if ((spins & 63) == 0)
                    {
                        Thread.Yield();
                    }
                    else
                    {
                        Thread.SpinWait(8);
                    }

                    continue;
                }

                // Announce the sleep before checking once more, so Run either sees the flag or we see its generation.
                Interlocked.Exchange(ref _sleeping[index], 1);
                if (Volatile.Read(ref _generation) == seen && !_disposed)
                {
                    _wakeSignals[index].Wait();
                }

                Interlocked.Exchange(ref _sleeping[index], 0);
                spins = 0;
            }

            if (_disposed)
            {
                return;
            }

            seen = Volatile.Read(ref _generation);
            RunItems();
            Interlocked.Decrement(ref _pendingWorkers);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var signal in _wakeSignals)
        {
            signal.Release();
        }
    }

    private static int DefaultThreadCount()
        => int.TryParse(Environment.GetEnvironmentVariable("INCEPTIONGEN_THREADS"), out var threads) && threads > 0
            ? threads
            : Environment.ProcessorCount;
}
