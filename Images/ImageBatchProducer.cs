using System.Diagnostics;

namespace InceptionGen.Images;

/// <summary>
/// What <see cref="ImageBatchProducer.Start"/> streams: batches <c>[FirstBatch, BatchCount)</c> of
/// <paramref name="Order"/> (indices into the producer's samples), <c>BatchSize</c> a batch, the last one possibly
/// short. With an <paramref name="AugmentSeed"/>, image i of batch b gets the random crop and flip of
/// <c>Mix(Mix(seed, step + 2^32), i)</c>, step being <paramref name="FirstStep"/> + (b − FirstBatch); without one, the
/// center crop. With <paramref name="Substitute"/> (training), an undecodable file's place goes to the next decodable
/// one in the order, so batches stay full and the run stays deterministic; without (evaluation) its label is −1.
/// </summary>
public sealed record BatchPlan(IReadOnlyList<int> Order, int FirstBatch, int BatchCount, long FirstStep = 0, ulong? AugmentSeed = null, bool Substitute = false);

/// <summary>Decoding figures: images decoded, seconds spent decoding (summed over the decode threads), and seconds the consumer waited.</summary>
public readonly record struct DecodeStatistics(long Images, double DecodeSeconds, double WaitSeconds)
{
    /// <summary>Images decoded and transformed per second of one decode thread.</summary>
    public double ImagesPerSecondPerThread => DecodeSeconds > 0 ? Images / DecodeSeconds : 0;
}

/// <summary>
/// Decodes and transforms batches of images on background threads, ahead of the consumer (training), into a ring of
/// preallocated batch buffers: a bounded producer. <see cref="Next"/> copies the next batch into the caller's buffers
/// and allocates nothing. An undecodable or unreadable file is reported once through <see cref="Skipped"/>, counted,
/// and never stops the run.
/// </summary>
public sealed class ImageBatchProducer : IDisposable
{
    private readonly IReadOnlyList<ImageSample> _samples;
    private readonly ImageTransform _transform;
    private readonly int _batchSize;
    private readonly int _threads;
    private readonly float[][] _slotImages;
    private readonly int[][] _slotLabels;
    private readonly int[] _slotCount;
    private readonly long[] _slotNext;
    private readonly long[] _slotReady;
    private readonly int[] _state; // per sample: 0 unknown, 1 decodable, 2 not
    private readonly object _gate = new(); // Monitor.Wait/PulseAll need an object lock
    private readonly List<string> _skippedFiles = [];
    private Thread[] _workers = [];
    private BatchPlan? _plan;
    private long _nextBatch;
    private bool _stopping;
    private Exception? _failure;
    private long _decodedImages, _decodeTicks, _waitTicks;

    /// <param name="samples">The images and labels.</param>
    /// <param name="transform">The crop, resize and normalization into the network's input.</param>
    /// <param name="batchSize">Images per batch.</param>
    /// <param name="threads">Decode threads (each decodes whole batches).</param>
    /// <param name="depth">Batches decoded ahead (at least <paramref name="threads"/>).</param>
    public ImageBatchProducer(IReadOnlyList<ImageSample> samples, ImageTransform transform, int batchSize, int threads = 1, int depth = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _samples = samples;
        _transform = transform;
        _batchSize = batchSize;
        _threads = threads;
        depth = Math.Max(depth <= 0 ? 2 * threads : depth, threads);
        _slotImages = new float[depth][];
        _slotLabels = new int[depth][];
        for (var s = 0; s < depth; s++)
        {
            _slotImages[s] = new float[batchSize * transform.Length];
            _slotLabels[s] = new int[batchSize];
        }

        _slotCount = new int[depth];
        _slotNext = new long[depth];
        _slotReady = new long[depth];
        _state = new int[samples.Count];
    }

    /// <summary>Called once per file that cannot be read or decoded, from a decode thread, with the file and why.</summary>
    public Action<string, string>? Skipped { get; init; }

    public ImageTransform Transform => _transform;

    public int BatchSize => _batchSize;

    /// <summary>How many distinct files were skipped so far.</summary>
    public int SkippedCount
    {
        get
        {
            lock (_gate)
            {
                return _skippedFiles.Count;
            }
        }
    }

    /// <summary>The files skipped so far, in the order they were found.</summary>
    public IReadOnlyList<string> SkippedFiles
    {
        get
        {
            lock (_gate)
            {
                return [.. _skippedFiles];
            }
        }
    }

    public DecodeStatistics Statistics => new(Interlocked.Read(ref _decodedImages), Interlocked.Read(ref _decodeTicks) / (double)Stopwatch.Frequency, Interlocked.Read(ref _waitTicks) / (double)Stopwatch.Frequency);

    /// <summary>Stops what was streaming and starts decoding <paramref name="plan"/>'s batches.</summary>
    public void Start(BatchPlan plan)
    {
        Stop();
        if (plan.BatchCount > plan.FirstBatch && (long)(plan.BatchCount - 1) * _batchSize >= plan.Order.Count)
        {
            throw new ArgumentException($"{plan.BatchCount} batches of {_batchSize} need more than the {plan.Order.Count} images of the order");
        }

        _plan = plan;
        _nextBatch = plan.FirstBatch;
        _stopping = false;
        _failure = null;
        for (var s = 0; s < _slotNext.Length; s++)
        {
            _slotNext[s] = plan.FirstBatch + s;
            _slotReady[s] = -1;
        }

        _workers = new Thread[Math.Min(_threads, Math.Max(1, plan.BatchCount - plan.FirstBatch))];
        for (var t = 0; t < _workers.Length; t++)
        {
            var first = plan.FirstBatch + t;
            var stride = _workers.Length;
            _workers[t] = new Thread(() => Produce(plan, first, stride)) { IsBackground = true, Name = $"image decode {t}" };
            _workers[t].Start();
        }
    }

    /// <summary>
    /// Copies the next batch into <paramref name="images"/> and <paramref name="labels"/>, waiting for it if it is not
    /// decoded yet; returns its image count.
    /// </summary>
    /// <exception cref="InvalidOperationException">No batch is left in the plan.</exception>
    /// <exception cref="InvalidDataException">No image of the order can be decoded.</exception>
    public int Next(Span<float> images, Span<int> labels)
    {
        var plan = _plan ?? throw new InvalidOperationException("Start a plan first");
        var batch = _nextBatch;
        if (batch >= plan.BatchCount)
        {
            throw new InvalidOperationException("the plan's batches are all taken");
        }

        var slot = (int)((batch - plan.FirstBatch) % _slotNext.Length);
        var waitStart = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            while (_slotReady[slot] != batch)
            {
                if (_failure is not null)
                {
                    throw new InvalidDataException(_failure.Message, _failure);
                }

                Monitor.Wait(_gate);
            }
        }

        Interlocked.Add(ref _waitTicks, Stopwatch.GetTimestamp() - waitStart);
        var count = _slotCount[slot];
        _slotImages[slot].AsSpan(0, count * _transform.Length).CopyTo(images);
        _slotLabels[slot].AsSpan(0, count).CopyTo(labels);
        lock (_gate)
        {
            _slotReady[slot] = -1;
            _slotNext[slot] = batch + _slotNext.Length;
            Monitor.PulseAll(_gate);
        }

        _nextBatch = batch + 1;
        return count;
    }

    /// <summary>Decodes one image, synchronously, with the evaluation transform; null (and reported) if it cannot be decoded.</summary>
    public static bool TryLoad(string path, ImageTransform transform, Span<float> destination, out string? error)
    {
        try
        {
            transform.ApplyCenter(ImageDecoder.Decode(File.ReadAllBytes(path), transform.Channels == 1 ? 1 : 3), destination);
            error = null;
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            error = e.Message;
            return false;
        }
    }

    private void Produce(BatchPlan plan, long firstBatch, int stride)
    {
        try
        {
            for (var batch = firstBatch; batch < plan.BatchCount; batch += stride)
            {
                var slot = (int)((batch - plan.FirstBatch) % _slotNext.Length);
                lock (_gate)
                {
                    while (_slotNext[slot] != batch && !_stopping)
                    {
                        Monitor.Wait(_gate);
                    }

                    if (_stopping)
                    {
                        return;
                    }
                }

                var start = Stopwatch.GetTimestamp();
                _slotCount[slot] = Fill(plan, batch, _slotImages[slot], _slotLabels[slot]);
                Interlocked.Add(ref _decodeTicks, Stopwatch.GetTimestamp() - start);
                lock (_gate)
                {
                    _slotReady[slot] = batch;
                    Monitor.PulseAll(_gate);
                }
            }
        }
        catch (Exception e)
        {
            lock (_gate)
            {
                _failure ??= e;
                Monitor.PulseAll(_gate);
            }
        }
    }

    private int Fill(BatchPlan plan, long batch, float[] images, int[] labels)
    {
        var begin = (int)(batch * _batchSize);
        var count = Math.Min(_batchSize, plan.Order.Count - begin);
        var step = plan.FirstStep + (batch - plan.FirstBatch);
        var channels = _transform.Channels == 1 ? 1 : 3;
        for (var i = 0; i < count; i++)
        {
            var destination = images.AsSpan(i * _transform.Length, _transform.Length);
            var position = begin + i;
            labels[i] = -1;
            for (var tried = 0; tried < plan.Order.Count; tried++)
            {
                var index = plan.Order[(position + tried) % plan.Order.Count];
                var image = Decode(index, channels);
                if (image is not null)
                {
                    if (plan.AugmentSeed is { } seed)
                    {
                        _transform.ApplyRandom(image, Shuffle.Mix(Shuffle.Mix(seed, (ulong)step + 0x100000000UL), (ulong)i), destination);
                    }
                    else
                    {
                        _transform.ApplyCenter(image, destination);
                    }

                    labels[i] = _samples[index].Label;
                    Interlocked.Increment(ref _decodedImages);
                    break;
                }

                if (!plan.Substitute)
                {
                    destination.Clear();
                    break;
                }
            }

            if (labels[i] < 0 && plan.Substitute)
            {
                throw new InvalidDataException($"none of the {plan.Order.Count} images can be decoded");
            }
        }

        return count;
    }

    private DecodedImage? Decode(int index, int channels)
    {
        if (Volatile.Read(ref _state[index]) == 2)
        {
            return null;
        }

        var path = _samples[index].Path;
        try
        {
            var image = ImageDecoder.Decode(File.ReadAllBytes(path), channels);
            Volatile.Write(ref _state[index], 1);
            return image;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            if (Interlocked.Exchange(ref _state[index], 2) != 2)
            {
                lock (_gate)
                {
                    _skippedFiles.Add(path);
                }

                Skipped?.Invoke(path, e.Message);
            }

            return null;
        }
    }

    /// <summary>Stops the decode threads (after the image each is on).</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        foreach (var worker in _workers)
        {
            worker.Join();
        }

        _workers = [];
    }

    public void Dispose() => Stop();
}
