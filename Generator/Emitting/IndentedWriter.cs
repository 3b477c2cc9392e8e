using System;
using System.Text;

namespace InceptionGen.Generator.Emitting;

/// <summary>A small indented text writer: generated code is text, written line by line.</summary>
internal sealed class IndentedWriter
{
    internal const string IndentUnit = "    ";
    private readonly StringBuilder _text = new();
    private int _depth;

    public void Line(string line = "")
    {
        if (line.Length > 0)
        {
            for (var i = 0; i < _depth; i++)
            {
                _text.Append(IndentUnit);
            }

            _text.Append(line);
        }

        _text.Append('\n');
    }

    /// <summary>
    /// Writes <paramref name="header"/> (if any) and <paramref name="open"/>, and indents until the returned
    /// scope ends with <paramref name="close"/>; initializers pass e.g. "[" and "];".
    /// </summary>
    public Scope Block(string? header, string open = "{", string close = "}")
    {
        if (header is not null)
        {
            Line(header);
        }

        Line(open);
        _depth++;
        return new Scope(this, close);
    }

    public override string ToString() => _text.ToString();

    internal readonly struct Scope : IDisposable
    {
        private readonly IndentedWriter _writer;
        private readonly string _close;

        public Scope(IndentedWriter writer, string close)
        {
            _writer = writer;
            _close = close;
        }

        public void Dispose()
        {
            _writer._depth--;
            _writer.Line(_close);
        }
    }
}
