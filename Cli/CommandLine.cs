namespace InceptionGen.Cli;

/// <summary>Parses the command line and runs one command; every failure is one clear line and a non-zero exit code.</summary>
internal static class CommandLine
{
    private const string Usage = """
        usage: inceptiongen <command> [arguments]

        commands:
          summary <network> [--no-parts]   print the layers with output shapes, parameters and multiply-adds
          networks                         list the networks

        """;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            output.Write(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            return args[0] switch
            {
                "summary" => Summary(args[1..], output),
                "networks" => Networks(output),
                _ => throw new UsageException($"unknown command '{args[0]}'; run 'inceptiongen --help' for the list"),
            };
        }
        catch (UsageException exception)
        {
            error.WriteLine($"error: {exception.Message}");
            return 2;
        }
    }

    private static int Summary(string[] args, TextWriter output)
    {
        var names = args.Where(arg => !arg.StartsWith("--", StringComparison.Ordinal)).ToList();
        var unknown = args.Where(arg => arg.StartsWith("--", StringComparison.Ordinal) && arg != "--no-parts").ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"unknown option '{unknown[0]}' for summary");
        }

        if (names.Count != 1)
        {
            throw new UsageException($"summary takes one network name: {NetworkCatalog.Names}");
        }

        if (!NetworkCatalog.Summaries.TryGetValue(names[0], out var summary))
        {
            throw new UsageException($"no network named '{names[0]}'; known networks: {NetworkCatalog.Names}");
        }

        output.Write(summary.Format(includeParts: !args.Contains("--no-parts")));
        return 0;
    }

    private static int Networks(TextWriter output)
    {
        foreach (var (name, summary) in NetworkCatalog.Summaries)
        {
            output.WriteLine($"{name,-28} input {summary.InputShape}, {summary.ParameterCount:N0} parameters, {summary.MultiplyAdds:N0} multiply-adds");
        }

        return 0;
    }
}

/// <summary>A mistake in the command line: reported as one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
