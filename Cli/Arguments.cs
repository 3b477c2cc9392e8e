using System.Globalization;

namespace InceptionGen.Cli;

/// <summary>
/// A command's arguments: positional words, <c>--name value</c> options and <c>--flag</c> switches. Each
/// command states which names it knows, so a misspelt option is an error, not silently ignored.
/// </summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public Arguments(string command, IReadOnlyList<string> args, IReadOnlyCollection<string> options, IReadOnlyCollection<string> flags)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                Positional.Add(arg);
                continue;
            }

            var name = arg[2..];
            if (flags.Contains(name))
            {
                _flags.Add(name);
            }
            else if (options.Contains(name))
            {
                if (i + 1 >= args.Count)
                {
                    throw new UsageException($"option --{name} needs a value");
                }

                _options[name] = args[++i];
            }
            else
            {
                var known = options.Select(o => "--" + o).Concat(flags.Select(f => "--" + f)).ToList();
                throw new UsageException($"unknown option '{arg}' for {command}{(known.Count > 0 ? "; it takes " + string.Join(", ", known) : "")}");
            }
        }
    }

    public List<string> Positional { get; } = [];

    public bool Flag(string name) => _flags.Contains(name);

    public int Int(string name, int fallback, int minimum = int.MinValue, int maximum = int.MaxValue)
    {
        if (!_options.TryGetValue(name, out var text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < minimum || value > maximum)
        {
            throw new UsageException($"--{name} takes a whole number from {minimum} to {maximum}, not '{text}'");
        }

        return value;
    }

    public string? Text(string name) => _options.GetValueOrDefault(name);

    /// <summary>The single network name a command takes.</summary>
    public NetworkCatalog.Entry Network(string command)
    {
        if (Positional.Count != 1)
        {
            throw new UsageException($"{command} takes one network name: {NetworkCatalog.Names}");
        }

        return NetworkCatalog.Find(Positional[0]);
    }
}
