using System.Globalization;

namespace InceptionGen.CommandLine;

/// <summary>
/// A command's arguments: positional words, <c>--name value</c> options and <c>--flag</c> switches. Each
/// command states which names it knows, so a misspelt option is an error, not silently ignored.
/// </summary>
public sealed class Arguments
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="args"/>: words not starting with <c>--</c> are positional, <c>--name</c> in
    /// <paramref name="flags"/> is a switch, <c>--name</c> in <paramref name="options"/> takes the next word as its value.</summary>
    /// <param name="command">The command's name, for the error message.</param>
    /// <param name="args">The words after the command's name.</param>
    /// <param name="options">The option names the command knows (without <c>--</c>).</param>
    /// <param name="flags">The switch names the command knows (without <c>--</c>).</param>
    /// <exception cref="UsageException">An unknown or repeated option, or an option with no value (missing, empty, or
    /// the next option's name).</exception>
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
            if (_flags.Contains(name) || _options.ContainsKey(name))
            {
                throw new UsageException($"--{name} is given twice");
            }

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

                var value = args[++i];
                if (value.StartsWith("--", StringComparison.Ordinal))
                {
                    // "--output --resume" is a forgotten value, not a folder named "--resume".
                    throw new UsageException($"option --{name} needs a value, not the option '{value}' (a path that starts with -- can be written ./{value})");
                }

                if (value.Length == 0)
                {
                    throw new UsageException($"option --{name} needs a value, not an empty one");
                }

                _options[name] = value;
            }
            else
            {
                var known = options.Select(o => "--" + o).Concat(flags.Select(f => "--" + f)).ToList();
                throw new UsageException($"unknown option '{arg}' for {command}{(known.Count > 0 ? "; it takes " + string.Join(", ", known) : "")}");
            }
        }
    }

    /// <summary>The positional words, in order.</summary>
    public List<string> Positional { get; } = [];

    /// <summary>Whether the switch <c>--<paramref name="name"/></c> was given.</summary>
    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>The whole number given for <c>--<paramref name="name"/></c>, or <paramref name="fallback"/> if the option was not given.</summary>
    /// <exception cref="UsageException">The value is not a whole number from <paramref name="minimum"/> to <paramref name="maximum"/>.</exception>
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

    /// <summary>The seed given for <c>--<paramref name="name"/></c> (any whole number from 0 to 2^64 - 1), or <paramref name="fallback"/>.</summary>
    /// <exception cref="UsageException">The value is not such a number.</exception>
    public ulong Seed(string name, ulong fallback)
    {
        if (!_options.TryGetValue(name, out var text))
        {
            return fallback;
        }

        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"--{name} takes a whole number from 0 to {ulong.MaxValue}, not '{text}'");
    }

    /// <summary>The value given for <c>--<paramref name="name"/></c>, or <see langword="null"/> if the option was not given.</summary>
    public string? Text(string name) => _options.GetValueOrDefault(name);
}
