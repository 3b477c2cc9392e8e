using System.Runtime.CompilerServices;
using ApprovalTests;
using ApprovalTests.Core;
using ApprovalTests.Core.Exceptions;
using ApprovalTests.Reporters;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Sdk;

namespace InceptionGen.Tests.Generator;

/// <summary>
/// Snapshots of the generated code (ApprovalTests). Each test compares the generated file with
/// <c>Snapshots/SnapshotTests.&lt;Test&gt;.approved.cs</c> beside this source file. On a mismatch the test fails
/// and leaves <c>.received.cs</c> next to the approved file; nothing is ever accepted automatically
/// (see Tests/Snapshots.md for how to accept a change deliberately).
/// </summary>
public sealed class SnapshotTests
{
    /// <summary>
    /// A small network exercising every emitted construct: a stem, a pool, an Inception module with a
    /// branch that is not a multiple of 16 wide (so the concat has gaps and a channel map), an auxiliary
    /// classifier, global average pooling, dropout and a classifier.
    /// </summary>
    internal const string SmallNetworkSource = """
        using InceptionGen;

        namespace Sample;

        [Network(Channels = 1, Height = 16, Width = 16)]
        public sealed partial class SmallInceptionNet
        {
            [Conv(16, Kernel = 3, Padding = 1)]                                          public partial Conv Conv1 { get; }
            [MaxPool(2)]                                                                 public partial Pool Pool1 { get; }
            [Inception(24, 16, 32, 8, 16, 16)]                                           public partial Inception Inception1 { get; }
            [AuxiliaryClassifier(10, PoolKernel = 3, PoolStride = 2, ConvChannels = 16, HiddenUnits = 32)] public partial AuxiliaryClassifier Aux { get; }
            [GlobalAveragePool]                                                          public partial Pool Pool2 { get; }
            [Dropout(0.4f)]                                                              public partial Dropout Dropout { get; }
            [Linear(10)]                                                                 public partial Linear Classifier { get; }
        }
        """;

    [Fact]
    public void GoogLeNet()
    {
        var result = GeneratorHarness.Run(RepositoryFiles.ReadText("Definitions", "GoogLeNet.cs"));

        AssertCleanRun(result);
        VerifySnapshot(Generated(result, "InceptionGen.Definitions.GoogLeNet.g.cs"));
    }

    /// <summary>The register tiles GoogLeNet's convolution drivers call, generated once for the compilation.</summary>
    [Fact]
    public void GoogLeNetRegisterTiles()
    {
        var result = GeneratorHarness.Run(RepositoryFiles.ReadText("Definitions", "GoogLeNet.cs"));

        AssertCleanRun(result);
        Assert.NotNull(result.RegisterTiles);
        VerifySnapshot(result.RegisterTiles!);
    }

    [Fact]
    public void SmallInceptionNet()
    {
        var result = GeneratorHarness.Run(SmallNetworkSource);

        Assert.Empty(result.Exceptions);
        Assert.Empty(result.CompilationProblems);
        // Branch1 is 24 channels wide: the generator says it pads it (IG0015, info) and nothing else.
        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("IG0015", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Info, diagnostic.Severity);
        VerifySnapshot(Generated(result, "Sample.SmallInceptionNet.g.cs"));
    }

    [Fact]
    public void NaiveInceptionModule()
    {
        var result = GeneratorHarness.Run(RepositoryFiles.ReadText("Definitions", "LectureModules.cs"));

        AssertCleanRun(result);
        VerifySnapshot(Generated(result, "InceptionGen.Definitions.NaiveInceptionModule.g.cs"));
    }

    [Fact]
    public void BottleneckInceptionModule()
    {
        var result = GeneratorHarness.Run(RepositoryFiles.ReadText("Definitions", "LectureModules.cs"));

        AssertCleanRun(result);
        VerifySnapshot(Generated(result, "InceptionGen.Definitions.BottleneckInceptionModule.g.cs"));
    }

    /// <summary>
    /// Modules declared with the DSL (docs/modules.md): a concat module with a parameter, BatchNorm convolutions writing
    /// their concat slices, a 1x7 convolution, explicit names and a pass-through pool branch; then a residual module
    /// (scale 0.2, ReLU) with a nested concat module (Name = "") and a linear 1x1 convolution back to the input's width.
    /// </summary>
    internal const string ModuleNetworkSource = """
        using InceptionGen;

        namespace Sample;

        [InceptionModule]
        public sealed class SmallBlock : ModuleAttribute
        {
            public int Channels7x7 { get; set; }

            [Conv(16, Kernel = 1, BatchNorm = true)]
            public Branch Branch1x1 { get; }

            [Conv(nameof(Channels7x7), Kernel = 1, BatchNorm = true, Name = "branch7x7_1")]
            [Conv(16, KernelHeight = 1, KernelWidth = 7, PaddingWidth = 3, BatchNorm = true, Name = "branch7x7_2")]
            public Branch Branch7x7 { get; }

            [MaxPool(3, Stride = 1, Padding = 1)]
            public Branch BranchPool { get; }
        }

        [InceptionModule]
        public sealed class Mixer : ModuleAttribute
        {
            [Conv(16, Kernel = 1)]
            public Branch Branch0 { get; }

            [Conv(16, Kernel = 3, Padding = 1)]
            public Branch Branch1 { get; }
        }

        [InceptionModule(Combine = ModuleCombine.Residual, ResidualScale = 0.2f, Relu = true)]
        public sealed class SmallResidual : ModuleAttribute
        {
            [Mixer(Name = "")]
            [Conv(48, Kernel = 1, Relu = false, Name = "conv2d")]
            public Branch Mixed { get; }
        }

        [Network(Channels = 1, Height = 12, Width = 12)]
        public sealed partial class SmallModuleNet
        {
            [Conv(16, Kernel = 3, Padding = 1)]                                          public partial Conv Conv1 { get; }
            [SmallBlock(Channels7x7 = 32, Name = "Mixed_6b")]                            public partial Module Mixed6b { get; }
            [SmallResidual(Name = "block35")]                                            public partial Module Block { get; }
            [GlobalAveragePool]                                                          public partial Pool Pool { get; }
            [Linear(10)]                                                                 public partial Linear Classifier { get; }
        }
        """;

    [Fact]
    public void SmallModuleNet()
    {
        var result = GeneratorHarness.Run(ModuleNetworkSource);

        AssertCleanRun(result);
        VerifySnapshot(Generated(result, "Sample.SmallModuleNet.g.cs"));
    }

    /// <summary>
    /// The snapshot check itself: a mismatch must fail, leave the received file for inspection and keep
    /// the approved file as it was; a match must pass and clean the received file up.
    /// </summary>
    [Fact]
    public void MismatchFailsAndLeavesReceivedFileWithoutAccepting()
    {
        var directory = Directory.CreateTempSubdirectory("inceptiongen-snapshot-");
        try
        {
            var approved = Path.Combine(directory.FullName, "Check.approved.cs");
            var received = Path.Combine(directory.FullName, "Check.received.cs");
            File.WriteAllText(approved, "approved\n");

            Assert.ThrowsAny<ApprovalException>(() => Snapshot.Verify("changed\n", directory.FullName, "Check"));
            Assert.Equal("approved\n", File.ReadAllText(approved));
            Assert.Equal("changed\n", File.ReadAllText(received));

            Snapshot.Verify("approved\n", directory.FullName, "Check");
            Assert.False(File.Exists(received), "a passing check should remove the received file");

            File.Delete(approved);
            Assert.ThrowsAny<ApprovalException>(() => Snapshot.Verify("new\n", directory.FullName, "Check"));
            Assert.False(File.Exists(approved), "a missing snapshot must not be created by the test");
            Assert.True(File.Exists(received));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static void AssertCleanRun(GeneratorResult result)
    {
        Assert.Empty(result.Exceptions);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompilationProblems);
    }

    private static string Generated(GeneratorResult result, string hintName)
    {
        Assert.True(result.GeneratedSources.TryGetValue(hintName, out var source),
            $"no generated file {hintName}; generated: {string.Join(", ", result.GeneratedSources.Keys)}");
        return source!;
    }

    private static void VerifySnapshot(string generated, [CallerFilePath] string sourceFile = "", [CallerMemberName] string test = "")
        => Snapshot.Verify(generated, Snapshot.DirectoryBeside(sourceFile), $"{nameof(SnapshotTests)}.{test}");
}

/// <summary>
/// ApprovalTests with a fixed namer and a reporter that only fails: approved files are resolved from the
/// source folder, and a mismatch neither opens a diff tool nor approves anything.
/// </summary>
internal static class Snapshot
{
    /// <summary>The Snapshots folder beside the calling test's source file (its path comes from [CallerFilePath]).</summary>
    public static string DirectoryBeside(string sourceFile)
    {
        var sourceDirectory = Path.GetDirectoryName(sourceFile);
        // A build with mapped source paths (/_/...) has no usable caller path: fall back to the repository.
        return sourceDirectory is not null && Directory.Exists(sourceDirectory)
            ? Path.Combine(sourceDirectory, "Snapshots")
            : Path.Combine(RepositoryFiles.Root, "Tests", "Generator", "Snapshots");
    }

    /// <summary>
    /// Compares <paramref name="text"/> (line endings normalized to \n) with <c>name.approved.cs</c> in
    /// <paramref name="directory"/>; on a difference, throws and leaves <c>name.received.cs</c>.
    /// </summary>
    public static void Verify(string text, string directory, string name)
    {
        var normalized = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        try
        {
            Approvals.Verify(new ApprovalTextWriter(normalized, "cs"), new Namer(directory, name), QuietReporter.INSTANCE);
        }
        catch (ApprovalException exception)
        {
            throw new SnapshotMismatchException(exception, Describe(exception, normalized));
        }
    }

    private static string Describe(ApprovalException exception, string received)
    {
        var approvedPath = exception.Approved;
        if (!File.Exists(approvedPath))
        {
            return $"No approved snapshot {approvedPath}. The generated text is in {exception.Received}: review it, rename it to .approved.cs and commit it (see Tests/Snapshots.md).";
        }

        var approvedLines = File.ReadAllText(approvedPath).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var receivedLines = received.Split('\n');
        var line = 0;
        while (line < approvedLines.Length && line < receivedLines.Length && approvedLines[line] == receivedLines[line])
        {
            line++;
        }

        var approvedLine = line < approvedLines.Length ? approvedLines[line] : "<end of file>";
        var receivedLine = line < receivedLines.Length ? receivedLines[line] : "<end of file>";
        return $"""
            The generated code differs from {approvedPath}.
            First difference at line {line + 1}:
              approved: {approvedLine}
              received: {receivedLine}
            The received text is in {exception.Received}. Diff the two files; if the change is intended,
            rename received to approved and commit it (see Tests/Snapshots.md). Tests never accept on their own.
            """;
    }

    private sealed class Namer(string sourcePath, string name) : IApprovalNamer
    {
        public string SourcePath { get; } = sourcePath;

        public string Name { get; } = name;
    }
}

/// <summary>A snapshot mismatch, with the first differing line in the message.</summary>
internal sealed class SnapshotMismatchException(ApprovalException inner, string message) : ApprovalException(inner.Received, inner.Approved)
{
    public override string Message { get; } = message;
}

/// <summary>Files of the repository, found by walking up from the test binaries to the folder holding InceptionGen.sln.</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    public static string Root => s_root.Value;

    public static string ReadText(params string[] relativePath)
    {
        var path = Path.Combine([Root, .. relativePath]);
        Assert.True(File.Exists(path), $"missing repository file {path}");
        return File.ReadAllText(path);
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "InceptionGen.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No folder containing InceptionGen.sln above {AppContext.BaseDirectory}.");
    }
}
