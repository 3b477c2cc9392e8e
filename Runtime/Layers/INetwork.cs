namespace InceptionGen;

/// <summary>What every generated network offers, for code that works with any of them (the CLI, benchmarks, weight I/O).</summary>
public interface INetwork
{
    /// <summary>The per-layer summary and totals.</summary>
    NetworkSummary Summary { get; }

    /// <summary>The graph the generator planned, in PyTorch terms (for exporters and weight files).</summary>
    NetworkGraph Graph { get; }

    /// <summary>Images per pass and the worker-pool operation numbers the generator chose (for profilers).</summary>
    NetworkSchedule Schedule { get; }

    /// <summary>Floats of one input image (NCHW).</summary>
    int InputLength { get; }

    /// <summary>Floats of one image's output.</summary>
    int OutputLength { get; }

    /// <summary>The largest batch <see cref="Forward"/> accepts.</summary>
    int MaxBatch { get; }

    /// <summary>All parameters in one block, with a named view per tensor.</summary>
    ParameterStore Parameters { get; }

    /// <summary>The forward pass's ops, by the operation index they run under on the worker pool.</summary>
    IReadOnlyList<OperationInfo> Operations { get; }

    /// <summary>Runs op <paramref name="operation"/> of the last forward pass again (for per-layer timing).</summary>
    void RunOperation(int operation);

    /// <summary>Inference on a batch: input batch × <see cref="InputLength"/>, output batch × <see cref="OutputLength"/>.</summary>
    void Forward(ReadOnlySpan<float> input, Span<float> output, int batch);
}
