namespace InceptionGen.CommandLine;

/// <summary>A mistake in the command line: reported as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
