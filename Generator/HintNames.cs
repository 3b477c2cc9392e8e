using System;
using System.Linq;
using System.Text;
using InceptionGen.Generator.Model;

namespace InceptionGen.Generator;

/// <summary>
/// The hint name (generated file name) of each network, unique and valid by construction. Roslyn compares hint
/// names ignoring case and accepts only some characters, and one duplicate makes it drop every generated file of
/// the compilation. So the name keeps the type's full name in ASCII letters, digits, '_' and '.' ('@' of an
/// escaped keyword dropped, anything else '_'), and networks whose names still meet (<c>Net</c> and <c>NET</c>)
/// get ".1", ".2", ... in ordinal order of their full names. A suffix cannot meet a plain name: no segment of a
/// type name starts with a digit.
/// </summary>
internal static class HintNames
{
    public static string For(string fullName, EquatableArray<string> allFullNames)
    {
        var readable = Readable(fullName);
        var meeting = allFullNames
            .Where(other => string.Equals(Readable(other), readable, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(other => other, StringComparer.Ordinal)
            .ToList();
        var suffix = meeting.Count > 1 ? "." + (meeting.IndexOf(fullName) + 1) : "";
        return readable + suffix + ".g.cs";
    }

    private static string Readable(string fullName)
    {
        var text = new StringBuilder(fullName.Length);
        foreach (var character in fullName)
        {
            if (character == '@')
            {
                continue;
            }

            var plain = character is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '.';
            text.Append(plain ? character : '_');
        }

        return text.ToString();
    }
}
