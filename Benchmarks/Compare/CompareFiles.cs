using InceptionGen.Definitions;

namespace InceptionGen.Benchmarks.Compare;

/// <summary>
/// The files the orchestrator writes into its folder for every worker: the same weights, graph, input images,
/// labels and dropout masks, so every implementation runs the same model on the same data.
/// </summary>
internal sealed record CompareFiles(string Folder)
{
    /// <summary>Seed of the network's parameters (fixed, so runs are comparable).</summary>
    public const ulong WeightSeed = 1;

    /// <summary>Our <c>DropoutSeed</c> for the agreement check; <see cref="Masks"/> holds the masks it gives at step 1.</summary>
    public const ulong DropoutSeed = 7;

    /// <summary>The largest batch measured (input.npy holds this many images).</summary>
    public const int MaxBatch = 32;

    public string Weights => Path.Combine(Folder, "googlenet.safetensors");

    public string Onnx => Path.Combine(Folder, "googlenet.onnx");

    /// <summary>float32 [32, 3, 224, 224], uniform in [-1, 1).</summary>
    public string Input => Path.Combine(Folder, "input.npy");

    /// <summary>int64 [32], the class of each image.</summary>
    public string Labels => Path.Combine(Folder, "labels.npy");

    /// <summary>float32 [dropout layers, 32, 1024] in graph order (aux1, aux2, main): 0 or 1/(1 − p), our masks of training step 1.</summary>
    public string Masks => Path.Combine(Folder, "masks.npy");

    public static float[] ReadImages(string path, int batch)
    {
        var images = Interop.Npy.Read(path);
        images.RequireShape(MaxBatch, GoogLeNet.InputChannels, GoogLeNet.InputHeight, GoogLeNet.InputWidth);
        return images.ToFloat32().AsSpan(0, batch * GoogLeNet.InputLength).ToArray();
    }

    public static int[] ReadLabels(string path, int batch)
    {
        var labels = Interop.Npy.Read(path);
        labels.RequireShape(MaxBatch);
        return [.. labels.ToInt64().Take(batch).Select(label => checked((int)label))];
    }
}
