namespace InceptionGen;

/// <summary>
/// Deterministic initialization from a seed. Weights that feed a ReLU get He (Kaiming) uniform, bound
/// √(6 / fan-in); the others (classifiers) get LeCun uniform, bound √(3 / fan-in); biases start at 0, and a BatchNorm's
/// γ, β and running statistics as PyTorch's (1, 0, mean 0, variance 1, no batch tracked).
/// Each tensor draws from its own SplitMix64 stream keyed by the seed and the tensor's name, so the
/// values do not depend on the order of layers or on the thread count.
/// </summary>
public static class ParameterInitializer
{
    public static void Initialize(ParameterStore store, ulong seed)
    {
        store.Span.Clear();
        foreach (var tensor in store.Tensors)
        {
            var values = store[tensor];
            if (tensor.Role.InitialValue() is { } constant)
            {
                values.Fill(constant);
                continue;
            }

            var bound = MathF.Sqrt((tensor.FeedsRelu ? 6f : 3f) / tensor.FanIn);
            var random = new SplitMix64(seed ^ StableHash(tensor.Name));
            foreach (ref var value in values)
            {
                value = (2f * random.NextSingle() - 1f) * bound;
            }
        }
    }

    /// <summary>FNV-1a over the UTF-16 code units: stable across runs and platforms, unlike string.GetHashCode.</summary>
    internal static ulong StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var character in text)
        {
            hash = (hash ^ character) * 1099511628211UL;
        }

        return hash;
    }
}

/// <summary>SplitMix64 (Steele, Lea and Flood 2014): tiny, fast, and the same sequence on every platform.</summary>
public struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A float uniform in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (Next() >> 40) * (1f / (1 << 24));

    /// <summary>A double uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}
