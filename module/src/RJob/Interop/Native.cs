// TEMPORARY (module branch): P/Invoke declarations for today's librjob ABI (JSON strings freed
// with rjob_string_free). The engine team's Native.cs for ABI v2 replaces this file at the merge.
using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace RJob.Interop
{
    internal static class Native
    {
        private const string Lib = "rjob";

        static Native()
        {
            // Resolve "rjob" to the library shipped with this assembly, never to one on the system path.
            NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);
        }

        /// <summary>bin/linux-x64/librjob.so (the packaged layout), else bin/librjob.so (older builds).</summary>
        internal static string LibraryPath
        {
            get
            {
                string dir = Path.GetDirectoryName(typeof(Native).Assembly.Location)!;
                string rid = Path.Combine(dir, "linux-x64", "librjob.so");
                return File.Exists(rid) ? rid : Path.Combine(dir, "librjob.so");
            }
        }

        private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
            name == Lib ? NativeLibrary.Load(LibraryPath) : IntPtr.Zero;

        [DllImport(Lib)] internal static extern int rjob_start([MarshalAs(UnmanagedType.LPUTF8Str)] string spec, out ulong id);
        [DllImport(Lib)] internal static extern int rjob_list([MarshalAs(UnmanagedType.LPUTF8Str)] string? filter, out IntPtr json);
        [DllImport(Lib)] internal static extern int rjob_get(ulong id, out IntPtr json);
        [DllImport(Lib)] internal static extern int rjob_stop(ulong[] ids, UIntPtr count, [MarshalAs(UnmanagedType.U1)] bool force, long graceMs);
        [DllImport(Lib)] internal static extern int rjob_wait(ulong[] ids, UIntPtr count, [MarshalAs(UnmanagedType.U1)] bool any, long timeoutMs);
        [DllImport(Lib)] internal static extern int rjob_receive(ulong id, [MarshalAs(UnmanagedType.U1)] bool keep, ulong from, uint maxRecords, long timeoutMs, out IntPtr json);
        [DllImport(Lib)] internal static extern int rjob_remove(ulong id);
        [DllImport(Lib)] internal static extern int rjob_string_free(IntPtr s);
        [DllImport(Lib)] internal static extern int rjob_last_error(out IntPtr message);
        [DllImport(Lib)] internal static extern IntPtr rjob_version();
    }
}
