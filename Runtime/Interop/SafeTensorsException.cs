namespace InceptionGen.Interop;

/// <summary>A .safetensors file or checkpoint that cannot be loaded; the message says every reason found.</summary>
public sealed class SafeTensorsException : Exception
{
    public SafeTensorsException(string message)
        : base(message)
    {
    }

    public SafeTensorsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
