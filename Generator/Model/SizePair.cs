namespace InceptionGen.Generator.Model;

/// <summary>
/// A height × width pair: a kernel, a stride or a padding. Square is the special case, and is written as one number
/// wherever a single number was written before (tile names, summaries, emitted calls), so square networks keep their
/// generated code.
/// </summary>
internal readonly record struct SizePair(int Height, int Width)
{
    public static SizePair Square(int size) => new(size, size);

    /// <summary>One number is a square pair, as the attributes' <c>Kernel</c>, <c>Stride</c> and <c>Padding</c> read.</summary>
    public static implicit operator SizePair(int size) => new(size, size);

    public bool IsSquare => Height == Width;

    /// <summary>Height × width: a kernel's taps.</summary>
    public int Area => Height * Width;

    /// <summary><c>3x3</c>, <c>1x7</c>: how a kernel or window is named.</summary>
    public string Text => $"{Height}x{Width}";

    /// <summary><c>2</c> when square, else <c>2x1</c>: a stride or padding, or a kernel in an identifier.</summary>
    public string ShortText => IsSquare ? Height.ToString(System.Globalization.CultureInfo.InvariantCulture) : Text;

    public override string ToString() => ShortText;
}
