using Xunit;

namespace InceptionGen.Tests;

/// <summary>
/// The collection of the no-allocation tests. They read the process-wide allocation counter, so they run alone (after
/// the parallel collections), where no other test allocates meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "Allocation checks (run alone)";
}

/// <summary>
/// Bytes allocated by every thread of the process (<see cref="GC.GetTotalAllocatedBytes(bool)"/>, precise), not only the
/// calling one: the worker pool's threads run most of a forward or training step.
/// </summary>
internal static class Allocations
{
    /// <summary>
    /// The least number of bytes the whole process allocated during one run of <paramref name="action"/>, over up to
    /// <paramref name="attempts"/> runs (stopping at the first that allocates nothing). The counter is process-wide, so
    /// the test runner's own threads may allocate during a run; code that allocates does so on every run, so the least is
    /// 0 only when it allocates nothing.
    /// </summary>
    public static long Measure(Action action, int attempts = 5)
    {
        var least = long.MaxValue;
        for (var attempt = 0; attempt < attempts && least > 0; attempt++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            action();
            least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
        }

        return least;
    }
}

/// <summary>The probe itself: it sees an allocation made on another thread, which the calling thread's counter does not.</summary>
[Collection(AllocationCollection.Name)]
public sealed class AllocationProbeTests
{
    [Fact]
    public void Measure_sees_an_allocation_on_another_thread()
    {
        using var go = new SemaphoreSlim(0);
        using var done = new SemaphoreSlim(0);
        var stop = false;
        object? kept = null;
        var worker = new Thread(() =>
        {
            while (true)
            {
                go.Wait();
                if (Volatile.Read(ref stop))
                {
                    return;
                }

                kept = new byte[1000];
                done.Release();
            }
        }) { IsBackground = true };
        worker.Start();

        var callingThreadBefore = GC.GetAllocatedBytesForCurrentThread();
        var allocated = Allocations.Measure(() =>
        {
            go.Release();
            done.Wait();
        });
        var callingThread = GC.GetAllocatedBytesForCurrentThread() - callingThreadBefore;
        Volatile.Write(ref stop, true);
        go.Release();
        worker.Join();

        Assert.NotNull(kept);
        Assert.True(allocated >= 1000, $"the process-wide probe saw {allocated} bytes for a 1000-byte array on a worker thread");
        Assert.True(callingThread < 1000, $"the calling thread's counter saw {callingThread} bytes (it should not see the worker's array)");
    }
}
