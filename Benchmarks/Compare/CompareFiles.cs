namespace InceptionGen.Benchmarks.Compare;

/// <summary>
/// The files the orchestrator writes into its folder for every worker: which network (<see cref="NetworkFile"/>), the
/// same weights, graph, input images, labels and dropout masks, so every implementation runs the same model on the same
/// data.
/// </summary>
internal sealed record CompareFiles(string Folder)
{
    /// <summary>Seed of the network's parameters (fixed, so runs are comparable).</summary>
    public const ulong WeightSeed = 1;

    /// <summary>Our <c>DropoutSeed</c> for the agreement check; <see cref="Masks"/> holds the masks it gives at step 1.</summary>
    public const ulong DropoutSeed = 7;

    /// <summary>The largest batch measured (input.npy holds this many images).</summary>
    public const int MaxBatch = 32;

    /// <summary>One line: the measured network's <see cref="ComparedNetwork.Key"/> (googlenet, inception-v3).</summary>
    public string NetworkFile => Path.Combine(Folder, "network.txt");

    /// <summary>The network named in <see cref="NetworkFile"/>.</summary>
    public ComparedNetwork Network => ComparedNetwork.Find(File.ReadAllText(NetworkFile).Trim());

    /// <summary>Safetensors with the graph in its metadata, named after the network (googlenet.safetensors).</summary>
    public string Weights => WeightsOf(Network);

    public string Onnx => Path.Combine(Folder, Network.Key + ".onnx");

    public string WeightsOf(ComparedNetwork network) => Path.Combine(Folder, network.Key + ".safetensors");

    /// <summary>float32 [32, C, H, W] (the network's input), uniform in [-1, 1).</summary>
    public string Input => Path.Combine(Folder, "input.npy");

    /// <summary>int64 [32], the class of each image.</summary>
    public string Labels => Path.Combine(Folder, "labels.npy");

    /// <summary>float32 [dropout layers, 32, features] in graph order (GoogLeNet: aux1, aux2, main; 1024 each): 0 or 1/(1 − p), our masks of training step 1.</summary>
    public string Masks => Path.Combine(Folder, "masks.npy");

    public float[] ReadImages(int batch)
    {
        var network = Network;
        var images = Interop.Npy.Read(Input);
        images.RequireShape(MaxBatch, network.Input.Channels, network.Input.Height, network.Input.Width);
        return images.ToFloat32().AsSpan(0, batch * network.InputLength).ToArray();
    }

    public int[] ReadLabels(int batch)
    {
        var labels = Interop.Npy.Read(Labels);
        labels.RequireShape(MaxBatch);
        return [.. labels.ToInt64().Take(batch).Select(label => checked((int)label))];
    }
}
