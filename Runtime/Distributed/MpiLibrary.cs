using System.Runtime.InteropServices;

namespace InceptionGen.Distributed;

/// <summary>
/// A thin binding of Open MPI's C API (libmpi.so.40), loaded only when a run is started by <c>mpirun</c>, so a
/// single-process run needs no MPI library. Open MPI's handles (<c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>,
/// <c>MPI_SUM</c>...) are the addresses of exported globals (<c>ompi_mpi_comm_world</c>...), which
/// <see cref="NativeLibrary.GetExport"/> gives; the functions are called through unmanaged function pointers, so
/// there is no reflection or marshalling stub (NativeAOT-safe). MPI.NET 1.4.0 was not usable: it binds MS-MPI's
/// <c>msmpi.dll</c> and its integer handles, not Open MPI's pointer handles.
/// </summary>
internal sealed unsafe partial class MpiLibrary
{
    public const string LibraryName = "libmpi.so.40";

    // mpi.h (Open MPI 4.x): thread levels, and MPI_IN_PLACE / MPI_STATUS_IGNORE as the sentinel pointers 1 and 0.
    public const int ThreadSerialized = 2;
    public static readonly nint InPlace = 1;

    private readonly delegate* unmanaged<int*, nint, int, int*, int> _initThread;
    private readonly delegate* unmanaged<int*, int> _initialized;
    private readonly delegate* unmanaged<int*, int> _finalized;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<nint, int*, int> _commRank;
    private readonly delegate* unmanaged<nint, int*, int> _commSize;
    private readonly delegate* unmanaged<nint, int> _barrier;
    private readonly delegate* unmanaged<nint, int, int> _abort;
    private readonly delegate* unmanaged<nint, int, nint, int, nint, int> _bcast;
    private readonly delegate* unmanaged<nint, int, nint, int, int, nint, int> _send;
    private readonly delegate* unmanaged<nint, int, nint, int, int, nint, nint, int> _recv;
    private readonly delegate* unmanaged<nint, nint, int, nint, nint, nint, int> _allreduce;

    private MpiLibrary(nint library)
    {
        _initThread = (delegate* unmanaged<int*, nint, int, int*, int>)NativeLibrary.GetExport(library, "MPI_Init_thread");
        _initialized = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(library, "MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(library, "MPI_Finalized");
        _finalize = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "MPI_Finalize");
        _commRank = (delegate* unmanaged<nint, int*, int>)NativeLibrary.GetExport(library, "MPI_Comm_rank");
        _commSize = (delegate* unmanaged<nint, int*, int>)NativeLibrary.GetExport(library, "MPI_Comm_size");
        _barrier = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(library, "MPI_Barrier");
        _abort = (delegate* unmanaged<nint, int, int>)NativeLibrary.GetExport(library, "MPI_Abort");
        _bcast = (delegate* unmanaged<nint, int, nint, int, nint, int>)NativeLibrary.GetExport(library, "MPI_Bcast");
        _send = (delegate* unmanaged<nint, int, nint, int, int, nint, int>)NativeLibrary.GetExport(library, "MPI_Send");
        _recv = (delegate* unmanaged<nint, int, nint, int, int, nint, nint, int>)NativeLibrary.GetExport(library, "MPI_Recv");
        _allreduce = (delegate* unmanaged<nint, nint, int, nint, nint, nint, int>)NativeLibrary.GetExport(library, "MPI_Allreduce");
        CommWorld = NativeLibrary.GetExport(library, "ompi_mpi_comm_world");
        Float = NativeLibrary.GetExport(library, "ompi_mpi_float");
        Double = NativeLibrary.GetExport(library, "ompi_mpi_double");
        Byte = NativeLibrary.GetExport(library, "ompi_mpi_byte");
        Sum = NativeLibrary.GetExport(library, "ompi_mpi_op_sum");
    }

    public nint CommWorld { get; }

    public nint Float { get; }

    public nint Double { get; }

    public nint Byte { get; }

    public nint Sum { get; }

    /// <summary>
    /// Loads libmpi with RTLD_GLOBAL (Open MPI's plug-ins, which it loads itself, resolve their symbols against it;
    /// .NET's own loader uses RTLD_LOCAL) and binds its functions.
    /// </summary>
    /// <exception cref="DllNotFoundException">No Open MPI library (or not Open MPI's ABI).</exception>
    public static MpiLibrary Load()
    {
        nint library = 0;
        try
        {
            library = dlopen(LibraryName, RtldNow | RtldGlobal);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc 2.34 or later: .NET's loader (RTLD_LOCAL) below.
        }

        if (library == 0 && !NativeLibrary.TryLoad(LibraryName, out library))
        {
            throw new DllNotFoundException($"this process was started by mpirun but Open MPI's {LibraryName} could not be loaded (on Debian: apt-get install openmpi-bin libopenmpi-dev)");
        }

        try
        {
            return new MpiLibrary(library);
        }
        catch (EntryPointNotFoundException e)
        {
            throw new DllNotFoundException($"{LibraryName} is not Open MPI 4 or later ({e.Message})", e);
        }
    }

    public int InitThread(int required)
    {
        int provided;
        Check(_initThread(null, 0, required, &provided), "MPI_Init_thread");
        return provided;
    }

    public bool Initialized
    {
        get
        {
            int flag;
            Check(_initialized(&flag), "MPI_Initialized");
            return flag != 0;
        }
    }

    public bool Finalized
    {
        get
        {
            int flag;
            Check(_finalized(&flag), "MPI_Finalized");
            return flag != 0;
        }
    }

    public void Shutdown() => Check(_finalize(), "MPI_Finalize");

    public int Rank()
    {
        int rank;
        Check(_commRank(CommWorld, &rank), "MPI_Comm_rank");
        return rank;
    }

    public int Size()
    {
        int size;
        Check(_commSize(CommWorld, &size), "MPI_Comm_size");
        return size;
    }

    public void Barrier() => Check(_barrier(CommWorld), "MPI_Barrier");

    public void Abort(int code) => _abort(CommWorld, code);

    public void Broadcast(void* buffer, int count, nint type, int root) => Check(_bcast((nint)buffer, count, type, root, CommWorld), "MPI_Bcast");

    public void Send(void* buffer, int count, nint type, int destination, int tag) => Check(_send((nint)buffer, count, type, destination, tag, CommWorld), "MPI_Send");

    public void Receive(void* buffer, int count, nint type, int source, int tag) => Check(_recv((nint)buffer, count, type, source, tag, CommWorld, 0), "MPI_Recv");

    public void AllreduceSumInPlace(void* buffer, int count, nint type) => Check(_allreduce(InPlace, (nint)buffer, count, type, Sum, CommWorld), "MPI_Allreduce");

    // MPI_COMM_WORLD's error handler is MPI_ERRORS_ARE_FATAL, so a failed call aborts the job before it returns;
    // this only catches a library set up otherwise.
    private static void Check(int code, string function)
    {
        if (code != 0)
        {
            throw new InvalidOperationException($"{function} failed with MPI error {code}");
        }
    }

    private const int RtldNow = 2;
    private const int RtldGlobal = 0x100;

    [LibraryImport("libc.so.6", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint dlopen(string file, int mode);
}
