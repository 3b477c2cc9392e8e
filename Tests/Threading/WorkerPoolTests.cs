using System.Diagnostics;
using System.Reflection;
using InceptionGen.Threading;
using Xunit;

namespace InceptionGen.Tests.Threading;

/// <summary>
/// The tests of the pool run alone, after the parallel ones: a Run waits until every worker has checked in,
/// and a worker that is not on a core (other tests hogging both) costs the call a scheduler time slice.
/// </summary>
[CollectionDefinition(nameof(WorkerPoolCollection), DisableParallelization = true)]
public sealed class WorkerPoolCollection;

/// <summary>
/// The worker pool that runs every layer: each item exactly once, failures surfacing on the caller, calls
/// from several threads taking turns, no allocation per call, and workers that end on Dispose. Every pool is
/// created and disposed by its test; each test finishes well under 2 s.
/// </summary>
[Collection(nameof(WorkerPoolCollection))]
public sealed class WorkerPoolTests(ITestOutputHelper output)
{
    /// <summary>Counts how often each item of each operation ran, and which operation index it was given.</summary>
    private sealed class CountingWork(int operations, int capacity) : IRangeWork
    {
        public readonly int[][] Runs = Enumerable.Range(0, operations).Select(_ => new int[capacity]).ToArray();
        public int BadRanges;

        public void Execute(int operation, int begin, int end)
        {
            if ((uint)operation >= (uint)Runs.Length || begin < 0 || end > Runs[operation].Length || begin >= end)
            {
                Interlocked.Increment(ref BadRanges);
                return;
            }

            for (var item = begin; item < end; item++)
            {
                Interlocked.Increment(ref Runs[operation][item]);
            }
        }

        public void Clear()
        {
            foreach (var runs in Runs)
            {
                Array.Clear(runs);
            }
        }
    }

    public static TheoryData<int> ThreadCounts() => [1, 2, 3, 4];

    /// <summary>
    /// Counts 0-1000, every one of them while the pool has no more threads than cores. With more threads than
    /// cores a Run costs a scheduler time slice (a worker that finished spins without yielding, and Run waits for
    /// the one that is off-core), so there the test takes 0-64 and a seeded sample of the rest, 1000 included.
    /// </summary>
    [Theory, MemberData(nameof(ThreadCounts))]
    public void Every_item_runs_exactly_once_for_counts_0_to_1000(int threads)
    {
        using var pool = new WorkerPool(threads);
        Assert.Equal(threads, pool.ThreadCount);
        const int operations = 3;
        var work = new CountingWork(operations, 1000);
        var random = new Random(threads);
        var counts = threads <= Environment.ProcessorCount
            ? Enumerable.Range(0, 1001).ToList()
            : Enumerable.Range(0, 65).Concat(Enumerable.Range(65, 935).Where(_ => random.Next(40) == 0)).Append(1000).ToList();
        output.WriteLine($"{threads} thread(s) on {Environment.ProcessorCount} core(s): {counts.Count} counts from 0 to 1000.");
        foreach (var count in counts)
        {
            var operation = count % operations;
            pool.Run(work, operation, count);

            Assert.Equal(0, work.BadRanges);
            for (var op = 0; op < operations; op++)
            {
                var runs = work.Runs[op];
                for (var item = 0; item < runs.Length; item++)
                {
                    var expected = op == operation && item < count ? 1 : 0;
                    if (runs[item] != expected)
                    {
                        Assert.Fail($"{threads} thread(s), Run(operation {operation}, count {count}): item {item} of operation {op} ran {runs[item]} time(s), expected {expected}.");
                    }
                }
            }

            work.Clear();
        }
    }

    private sealed class FailingWork(int failingItem) : IRangeWork
    {
        public int Executed;

        public void Execute(int operation, int begin, int end)
        {
            Interlocked.Add(ref Executed, end - begin);
            if (begin <= failingItem && failingItem < end)
            {
                throw new InvalidOperationException($"item {failingItem} failed");
            }
        }
    }

    [Theory, MemberData(nameof(ThreadCounts))]
    public void An_exception_in_one_item_is_rethrown_by_Run_and_the_pool_still_works(int threads)
    {
        using var pool = new WorkerPool(threads);
        foreach (var (count, failing) in new[] { (1, 0), (2, 1), (100, 0), (100, 57), (1000, 999) })
        {
            var exception = Assert.Throws<InvalidOperationException>(() => pool.Run(new FailingWork(failing), 0, count));
            Assert.Equal($"item {failing} failed", exception.Message);

            // The failure is not remembered: the next call runs every item once and returns normally.
            var work = new CountingWork(1, count);
            pool.Run(work, 0, count);
            Assert.Equal(0, work.BadRanges);
            Assert.All(work.Runs[0], runs => Assert.Equal(1, runs));
        }
    }

    /// <summary>
    /// Several threads call Run on one pool at once, each with its own work object and operation index;
    /// the pool must run one call at a time (its counter and work slot are shared) and give each call
    /// exactly its own items.
    /// </summary>
    [Theory, MemberData(nameof(ThreadCounts))]
    public void Concurrent_Run_calls_from_several_threads_each_run_their_own_items_once(int threads)
    {
        using var pool = new WorkerPool(threads);
        const int callers = 3;
        const int callsPerCaller = 20;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var active = new int[callers];
        var overlapped = 0;
        using var start = new Barrier(callers);
        var callerThreads = Enumerable.Range(0, callers).Select(caller => new Thread(() =>
        {
            var work = new ExclusiveWork(active, () => Interlocked.Increment(ref overlapped), caller, 200);
            start.SignalAndWait();
            for (var call = 0; call < callsPerCaller; call++)
            {
                // At least 2 items: a single item runs inline on the caller, outside the pool's turn-taking.
                var count = 2 + (call * 37 + caller * 11) % 199;
                pool.Run(work, caller + 1, count);
                var message = work.CheckAndClear(count);
                if (message is not null)
                {
                    failures.Enqueue($"caller {caller}, call {call} (count {count}): {message}");
                }
            }
        })).ToList();

        callerThreads.ForEach(thread => thread.Start());
        foreach (var thread in callerThreads)
        {
            // A hang detector, not a speed check: generous enough for a loaded 2-core machine or qemu.
            Assert.True(thread.Join(TimeSpan.FromSeconds(120)), "a caller did not finish in 2 minutes: Run deadlocked");
        }

        Assert.Empty(failures);
        if (threads > 1)
        {
            // With one thread every call runs inline on its caller, which shares nothing and needs no turns.
            Assert.Equal(0, overlapped);
        }
    }

    /// <summary>
    /// Work of one caller: checks that it is given its own operation index, and that no other caller's items
    /// run at the same time (Run calls must not interleave, since they share the pool's state).
    /// <paramref name="active"/> counts, per caller, the ranges running right now.
    /// </summary>
    private sealed class ExclusiveWork(int[] active, Action overlap, int caller, int capacity) : IRangeWork
    {
        private readonly int[] _runs = new int[capacity];
        private int _wrongOperation;

        public void Execute(int op, int begin, int end)
        {
            if (op != caller + 1)
            {
                Interlocked.Increment(ref _wrongOperation);
                return;
            }

            Interlocked.Increment(ref active[caller]);
            for (var other = 0; other < active.Length; other++)
            {
                if (other != caller && Volatile.Read(ref active[other]) > 0)
                {
                    overlap();
                }
            }

            for (var item = begin; item < end; item++)
            {
                Interlocked.Increment(ref _runs[item]);
            }

            Thread.SpinWait(50);
            Interlocked.Decrement(ref active[caller]);
        }

        public string? CheckAndClear(int count)
        {
            string? message = null;
            if (_wrongOperation != 0)
            {
                message = $"{_wrongOperation} range(s) came with another call's operation index";
            }

            for (var item = 0; item < _runs.Length && message is null; item++)
            {
                var expected = item < count ? 1 : 0;
                if (_runs[item] != expected)
                {
                    message = $"item {item} ran {_runs[item]} time(s), expected {expected}";
                }
            }

            Array.Clear(_runs);
            _wrongOperation = 0;
            return message;
        }
    }

    private sealed class NoOpWork : IRangeWork
    {
        public long Items;

        public void Execute(int operation, int begin, int end) => Interlocked.Add(ref Items, end - begin);
    }

    [Theory, MemberData(nameof(ThreadCounts))]
    public void Run_allocates_nothing(int threads)
    {
        using var pool = new WorkerPool(threads);
        var work = new NoOpWork();
        // Warm up: JIT every path (one item runs inline, more go to the workers) and let the workers spin.
        for (var i = 0; i < 10; i++)
        {
            pool.Run(work, 0, 1);
            pool.Run(work, 1, 64);
        }

        // The process-wide counter (the workers' allocations count too); this collection runs alone.
        var allocated = Allocations.Measure(() =>
        {
            for (var i = 0; i < 20; i++)
            {
                pool.Run(work, 0, 1);
                pool.Run(work, 1, 64);
            }
        });
        Assert.Equal(0, allocated);
        // Warm-up plus one or more measured runs (Measure takes the least of a few).
        var items = Interlocked.Read(ref work.Items);
        Assert.True(items >= 30 * 65 && (items - 10 * 65) % (20 * 65) == 0, $"{items} items ran");
    }

    /// <summary>
    /// Dispose ends every worker, whether it is spinning right after a call or asleep on its semaphore;
    /// the workers are background threads, so a leak would not hang the process, only this test.
    /// </summary>
    [Theory]
    [InlineData(2, false)]
    [InlineData(4, false)]
    [InlineData(2, true)]
    [InlineData(4, true)]
    public void Dispose_stops_every_worker(int threads, bool letWorkersSleep)
    {
        var pool = new WorkerPool(threads);
        var work = new CountingWork(1, 100);
        pool.Run(work, 0, 100);
        Assert.All(work.Runs[0], runs => Assert.Equal(1, runs));
        var workers = Workers(pool);
        Assert.Equal(threads - 1, workers.Length);
        Assert.All(workers, worker => Assert.True(worker.IsAlive));
        if (letWorkersSleep)
        {
            // Workers go to sleep after 20,000 spins of Thread.SpinWait(8); wait until every one is blocked, however slow the machine.
            var deadline = Stopwatch.StartNew();
            while (!workers.All(worker => (worker.ThreadState & System.Threading.ThreadState.WaitSleepJoin) != 0))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "the workers never went to sleep");
                Thread.Sleep(10);
            }
        }

        var clock = Stopwatch.StartNew();
        pool.Dispose();
        foreach (var worker in workers)
        {
            // A hang detector: a worker that missed Dispose never ends; one that saw it ends within a time slice or two.
            Assert.True(worker.Join(TimeSpan.FromSeconds(60)), $"{worker.Name} still runs {clock.ElapsedMilliseconds} ms after Dispose.");
        }

        // A second Dispose is harmless, and a disposed pool refuses work it would hand to the workers.
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Run(work, 0, 100));
    }

    private static Thread[] Workers(WorkerPool pool)
    {
        var field = typeof(WorkerPool).GetField("_workers", BindingFlags.Instance | BindingFlags.NonPublic)
                    ?? throw new InvalidOperationException("WorkerPool has no _workers field any more; update this test.");
        return (Thread[])field.GetValue(pool)!;
    }
}
