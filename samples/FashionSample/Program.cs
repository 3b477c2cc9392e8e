// Trains a small Inception network on Fashion-MNIST, saves its weights, loads them into a fresh network and
// classifies a few test images. Everything here is the InceptionGen package's public API.
//
//   dotnet run -c Release [-- --steps 300 --data path/to/fashion-mnist --weights tiny-inception.safetensors]
using System.Diagnostics;
using System.Globalization;
using FashionSample;
using InceptionGen.Data;
using InceptionGen.Interop;
using InceptionGen.Training;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var steps = 300;
var batch = 32;
string? dataFolder = null;
var weightsPath = "tiny-inception.safetensors";
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--steps": steps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--data": dataFolder = args[++i]; break;
        case "--weights": weightsPath = args[++i]; break;
        case "--help":
            Console.WriteLine("FashionSample [--steps N] [--data FOLDER] [--weights FILE]");
            Console.WriteLine(TinyInception.Summary);
            return 0;
        default: Console.Error.WriteLine($"unknown argument '{args[i]}' (try --help)"); return 2;
    }
}

// The data: data/fashion-mnist of the InceptionGen repository (found by walking up), --data, or the
// INCEPTIONGEN_FASHION_MNIST variable. Images come standardized with the training set's mean and deviation.
var data = FashionMnist.Load(FashionMnist.FindDataFolder(dataFolder));
Console.WriteLine($"Fashion-MNIST: {data.Train.Count} training and {data.Test.Count} test images");
Console.WriteLine(TinyInception.Summary);

// Training: SGD with momentum on a fixed shuffle of the training set. Every random choice is seeded, so a run
// gives the same weights every time on the same instruction set.
var net = new TinyInception(maxBatch: batch, seed: 1) { DropoutSeed = 1 };
var optimizer = new SgdMomentum(0.05f, momentum: 0.9f, weightDecay: 1e-4f, decayBiases: false);
var schedule = new CosineSchedule(0.05f, totalSteps: steps, warmupSteps: steps / 10);
var order = Shuffle(data.Train.Count, seed: 7);
var images = new float[batch * TinyInception.InputLength];
var labels = new int[batch];
var watch = Stopwatch.StartNew();
double lossSum = 0;
int correct = 0, seen = 0;
for (var step = 0; step < steps; step++)
{
    for (var b = 0; b < batch; b++)
    {
        var index = order[(step * batch + b) % order.Length];
        data.Train.Image(index).CopyTo(images.AsSpan(b * TinyInception.InputLength));
        labels[b] = data.Train.Labels[index];
    }

    optimizer.LearningRate = schedule.LearningRate(step, 0);
    var loss = net.TrainStep(images, labels, batch, optimizer);
    lossSum += loss.Total;
    correct += loss.Correct;
    seen += batch;
    if ((step + 1) % 50 == 0 || step + 1 == steps)
    {
        Console.WriteLine($"step {step + 1,4}: loss {lossSum / 50:F4}, train accuracy {100.0 * correct / seen:F1}%");
        lossSum = 0;
        correct = seen = 0;
    }
}

Console.WriteLine($"trained {steps} steps of {batch} images in {watch.Elapsed.TotalSeconds:F1} s");

// Save the weights (safetensors, PyTorch's names and layouts), then load them into a new network.
SafeTensors.Save(net, weightsPath);
var reloaded = new TinyInception(maxBatch: 100);
SafeTensors.Load(reloaded.Parameters, weightsPath);
Console.WriteLine($"saved and reloaded {weightsPath} ({new FileInfo(weightsPath).Length:N0} bytes, {TinyInception.ParameterCount:N0} parameters)");

// Accuracy of the reloaded network on the first 1,000 test images, 100 at a time.
var logits = new float[100 * TinyInception.OutputLength];
var right = 0;
for (var first = 0; first < 1000; first += 100)
{
    reloaded.Forward(data.Test.Images.AsSpan(first * TinyInception.InputLength, 100 * TinyInception.InputLength), logits, 100);
    for (var i = 0; i < 100; i++)
    {
        right += ArgMax(logits.AsSpan(i * TinyInception.OutputLength, TinyInception.OutputLength)) == data.Test.Labels[first + i] ? 1 : 0;
    }
}

Console.WriteLine($"test accuracy (first 1,000 test images): {right / 10.0:F1}%");

// The top three classes of the first eight test images.
reloaded.Forward(data.Test.Images.AsSpan(0, 8 * TinyInception.InputLength), logits, 8);
for (var i = 0; i < 8; i++)
{
    var probabilities = Softmax(logits.AsSpan(i * TinyInception.OutputLength, TinyInception.OutputLength));
    var top = Enumerable.Range(0, probabilities.Length).OrderByDescending(c => probabilities[c]).Take(3)
        .Select(c => $"{FashionMnist.ClassNames[c]} {100 * probabilities[c]:F1}%");
    Console.WriteLine($"test image {i}: {FashionMnist.ClassNames[data.Test.Labels[i]],-11} -> {string.Join(", ", top)}");
}

return 0;

static int[] Shuffle(int count, int seed)
{
    var order = Enumerable.Range(0, count).ToArray();
    new Random(seed).Shuffle(order);
    return order;
}

static int ArgMax(ReadOnlySpan<float> values)
{
    var best = 0;
    for (var i = 1; i < values.Length; i++)
    {
        best = values[i] > values[best] ? i : best;
    }

    return best;
}

static float[] Softmax(ReadOnlySpan<float> logits)
{
    var result = new float[logits.Length];
    System.Numerics.Tensors.TensorPrimitives.SoftMax(logits, result);
    return result;
}
