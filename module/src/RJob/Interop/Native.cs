// P/Invoke declarations for librjob's C ABI v2 (include/rjob.h), and the resolver that loads the
// library from the module's own folder. Only Engine calls these.
using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace RJob.Interop
{
    internal static class Native
    {
        private const string Lib = "rjob";

        /// <summary>Runtime identifier folder beside RJob.dll that holds the native files.</summary>
        internal const string Rid = "linux-x64";

        static Native()
        {
            // Resolve "rjob" to the library beside this assembly, never to one on the system path.
            NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);
        }

        internal static string LibraryPath =>
            Path.Combine(Path.GetDirectoryName(typeof(Native).Assembly.Location)!, Rid, "librjob.so");

        private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
            name == Lib ? NativeLibrary.Load(LibraryPath) : IntPtr.Zero;

        // Mirrors of the header's structs. bool is a byte in C; byte fields keep these blittable,
        // so the runtime passes a pointer to them as they are.
        [StructLayout(LayoutKind.Sequential)]
        internal struct JobStatusC
        {
            public int State, Pid, ExitCode, Signal;
            public long EndTimeMs;
            public byte HasExitCode, HasEndTime, HasMoreData;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ReceiveResultC
        {
            public ulong Next;
            public nuint Count, Needed;
            public byte Done;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ChangeC
        {
            public ulong Id, Seq;
            public int State;
        }

        // Every buffer is owned here and pinned for the call; the library never hands out memory.
        // spec: the first byte of NUL-terminated UTF-8 JSON, pinned for the call.
        [DllImport(Lib)] internal static extern int rjob_start(ref byte spec, out ulong id);
        [DllImport(Lib)] internal static extern int rjob_status(ulong id, out JobStatusC status);
        [DllImport(Lib)] internal static extern int rjob_info(ulong id, [Out] byte[]? buf, nuint cap, out nuint len);
        [DllImport(Lib)] internal static extern int rjob_ssh_command([MarshalAs(UnmanagedType.LPUTF8Str)] string remote, [Out] byte[]? buf, nuint cap, out nuint len);
        [DllImport(Lib)] internal static extern int rjob_list([MarshalAs(UnmanagedType.LPUTF8Str)] string? filter, [Out] byte[]? buf, nuint cap, out nuint len);
        [DllImport(Lib)] internal static extern int rjob_stop(ulong[] ids, nuint count, [MarshalAs(UnmanagedType.U1)] bool force, long graceMs);
        [DllImport(Lib)] internal static extern int rjob_wait(ulong[] ids, nuint count, [MarshalAs(UnmanagedType.U1)] bool any, long timeoutMs);
        [DllImport(Lib)] internal static extern int rjob_receive(ulong id, [MarshalAs(UnmanagedType.U1)] bool keep, ulong from, long timeoutMs, [Out] byte[]? buf, nuint cap, out ReceiveResultC result);
        [DllImport(Lib)] internal static extern int rjob_changes(ulong after, [Out] ChangeC[] buf, nuint cap, long timeoutMs, out nuint count, out ulong seq);
        [DllImport(Lib)] internal static extern int rjob_remove(ulong id);
        [DllImport(Lib)] internal static extern int rjob_input(ulong id, byte[]? bytes, nuint len, [MarshalAs(UnmanagedType.U1)] bool close);
        [DllImport(Lib)] internal static extern int rjob_last_error([Out] byte[]? buf, nuint cap, out nuint len);
        [DllImport(Lib)] internal static extern IntPtr rjob_version();
    }
}
