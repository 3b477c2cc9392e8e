using System.Runtime.CompilerServices;

namespace InceptionGen;

/// <summary>
/// A zero-initialized float buffer whose first element sits on a 64-byte boundary (one cache line, one
/// AVX-512 vector). It lives in a pinned array, so it never moves and needs no disposal.
/// </summary>
public sealed class AlignedBuffer
{
    /// <summary>Alignment of the first element in bytes.</summary>
    public const int AlignmentBytes = 64;

    /// <summary>Alignment in floats: every tensor offset the planner hands out is a multiple of this.</summary>
    public const int AlignmentFloats = AlignmentBytes / sizeof(float);

    private readonly float[] _storage;
    private readonly int _start;

    public AlignedBuffer(long length)
    {
        if (length < 0 || length > Array.MaxLength - AlignmentFloats)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "A buffer holds at most Array.MaxLength floats.");
        }

        Length = (int)length;
        _storage = GC.AllocateArray<float>(Length + AlignmentFloats, pinned: true);
        _start = AlignmentFloats - (int)(AddressOfFirstElement() % AlignmentBytes / sizeof(float));
        if (_start == AlignmentFloats)
        {
            _start = 0;
        }
    }

    /// <summary>Number of usable floats.</summary>
    public int Length { get; }

    /// <summary>The usable floats, 64-byte aligned.</summary>
    public Span<float> Span => _storage.AsSpan(_start, Length);

    /// <summary>The float at index 0 of <see cref="Span"/>, for kernels that work on references.</summary>
    public ref float First => ref _storage[_start];

    private unsafe nuint AddressOfFirstElement() => (nuint)Unsafe.AsPointer(ref _storage[0]);
}
