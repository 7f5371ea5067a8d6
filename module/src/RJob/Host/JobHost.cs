// The job host: runs inside the child pwsh of a script job (see Jobs/ScriptLaunch.cs for how it
// is started). It reads the job from stdin, runs the script in a fresh runspace, so nothing of the
// host leaks into the job, and writes every record of every stream, in order, to the records
// channel, one line each (Records/RecordCodec.cs). The exit code is 1 when the script ended with
// a terminating error (written as a 'T' record first), else 0.
//
// A pool worker (Pool/WorkerPool.cs) runs RunPooled instead: it runs the whole path once on a
// dummy job whose records go nowhere (so the job's own run is JIT-compiled already), opens the
// job's fresh runspace, says it is ready on the records pipe, and only then blocks reading its
// job. That job brings the caller's environment and working directory, applied before it runs.
using System;
using System.Collections;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text;
using Microsoft.Win32.SafeHandles;
using RJob.Records;

namespace RJob.Host
{
    public static class JobHost
    {
        /// <summary>What a pool worker writes on its records pipe once it is primed and waits for
        /// its job (the pool reads it; a job never sees it).</summary>
        internal static readonly byte[] ReadyLine = Encoding.ASCII.GetBytes("RJOB-POOL-READY\n");

        /// <summary>Runs the job described on stdin; returns the process exit code.</summary>
        public static int Run()
        {
            var payload = ReadPayload();
            return payload == null ? NoJob() : RunPayload(payload, null);
        }

        /// <summary>A pool worker: primes itself, opens the job's runspace (importing `module`, RJob's
        /// manifest, when given), says it is ready, then runs the job that comes on stdin.</summary>
        public static int RunPooled(string module)
        {
            string? manifest = module.Length > 0 ? module : null;
            try { Prime(); }
            catch (Exception e) when (e is not OutOfMemoryException) { } // only speed was at stake
            Runspace runspace = OpenRunspace(manifest);
            // Loads the module that owns the location cmdlets into the runspace now, so a job that
            // uses them does not wait for it.
            using (var ps = PowerShell.Create())
            {
                ps.Runspace = runspace;
                ps.AddCommand("Microsoft.PowerShell.Management\\Get-Location").Invoke();
            }
            using (var ready = new FileStream(new SafeFileHandle((IntPtr)3, ownsHandle: false), FileAccess.Write, bufferSize: 0))
            {
                ready.Write(ReadyLine, 0, ReadyLine.Length);
            }
            var payload = ReadPayload();
            if (payload == null) return NoJob(); // the pool let it go (stdin closed without a job)
            if (payload[HostPayload.Module] as string != manifest)
            {
                // The pool only hands a worker a job that imports what it imported; be safe anyway.
                runspace.Dispose();
                runspace = OpenRunspace(payload[HostPayload.Module] as string);
            }
            ApplyProcessState(payload);
            // The runspace opened in the worker's directory: start from the caller's, as a cold
            // start does, in case the caller's location cannot be set here (a drive of its own).
            if (payload[HostPayload.WorkingDirectory] is string cwd) SetLocation(runspace, cwd);
            return RunPayload(payload, runspace);
        }

        private static int NoJob()
        {
            Console.Error.WriteLine("RJob job host: stdin did not hold a job.");
            return 2;
        }

        private static Hashtable? ReadPayload()
        {
            using var stdin = Console.OpenStandardInput();
            using var text = new StreamReader(stdin, new UTF8Encoding(false));
            return Parse(text.ReadToEnd());
        }

        private static Hashtable? Parse(string clixml) =>
            clixml.Length == 0 ? null : Pso.Base(PSSerializer.Deserialize(clixml)) as Hashtable;

        // Runs a job like a real one, records to nowhere: the first run of this path is what costs
        // (JIT, type caches, the serializer), so the real job finds it warm.
        private static void Prime()
        {
            const string script = "param($a) $b = $using:u; $input | ForEach-Object { $_ }; [pscustomobject]@{ A = $a; B = $b; L = (Get-Location).Path }; Write-Warning w; Write-Verbose v -Verbose; Write-Information i; Write-Error e -ErrorAction Continue";
            var usings = new Hashtable { [Convert.ToBase64String(Encoding.Unicode.GetBytes("$using:u"))] = 1 };
            byte[] clixml = Jobs.ScriptLaunch.Payload(script, usings, new object[] { "x" }, new System.Collections.Generic.List<object?> { 1, "two" },
                "$null = 1", Environment.CurrentDirectory, null, null, null);
            var payload = Parse(Encoding.UTF8.GetString(clixml))!;
            using var records = new RecordWriter(Stream.Null);
            using var runspace = OpenRunspace(null);
            RunScript(payload, records, runspace);
            records.Write(RecordCodec.TerminatingTag, new ErrorRecord(new Exception("x"), "Prime", ErrorCategory.NotSpecified, null));
        }

        // `module` is imported as the runspace opens, or (a cold job) when the script first uses it.
        private static Runspace OpenRunspace(string? module, bool importNow = true)
        {
            var iss = InitialSessionState.CreateDefault2();
            if (module != null && importNow) iss.ImportPSModule(new[] { module });
            var runspace = RunspaceFactory.CreateRunspace(iss);
            runspace.Open();
            if (module != null && !importNow) ModuleOnFirstUse.Attach(runspace, module);
            return runspace;
        }

        // The caller's environment and directory as they are now, not as they were when the pool
        // started this worker. The job's cookie stays: it is how the engine finds this job's tree.
        private static void ApplyProcessState(Hashtable payload)
        {
            if (Pso.Base(payload[HostPayload.Environment]) is IEnumerable pairs)
            {
                var env = new System.Collections.Generic.Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var p in pairs)
                {
                    string pair = Pso.Base(p)?.ToString() ?? "";
                    int eq = pair.IndexOf('=');
                    if (eq > 0) env[pair[..eq]] = pair[(eq + 1)..];
                }
                foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
                {
                    var name = (string)e.Key;
                    if (!env.ContainsKey(name) && name != CookieVariable) Environment.SetEnvironmentVariable(name, null);
                }
                foreach (var (name, value) in env)
                {
                    // An empty value cannot be set in .NET (it removes the variable), as in a cold start's pwsh.
                    if (name != CookieVariable) Environment.SetEnvironmentVariable(name, value.Length > 0 ? value : null);
                }
            }
            if (payload[HostPayload.WorkingDirectory] is string cwd)
            {
                try { Environment.CurrentDirectory = cwd; }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // the location still applies
            }
        }

        /// <summary>Set by the job's supervisor (src/supervisor/child.rs COOKIE_VAR).</summary>
        internal const string CookieVariable = "RJOB_JOB_COOKIE";

        private static int RunPayload(Hashtable payload, Runspace? runspace)
        {
            int fd = payload[HostPayload.RecordsFd] is int n ? n : 3;
            using var records = new RecordWriter(fd);
            try
            {
                RunScript(payload, records, runspace ?? OpenRunspace(payload[HostPayload.Module] as string, importNow: false));
                return 0;
            }
            catch (Exception e)
            {
                var error = (e as IContainsErrorRecord)?.ErrorRecord
                    ?? new ErrorRecord(e, "JobHostError", ErrorCategory.NotSpecified, null);
                records.Write(RecordCodec.TerminatingTag, error);
                return 1;
            }
        }

        private static void RunScript(Hashtable payload, RecordWriter records, Runspace runspace)
        {
            using var _ = runspace;
            if (payload[HostPayload.Location] is string location) SetLocation(runspace, location);

            using var ps = PowerShell.Create();
            ps.Runspace = runspace;
            var output = new RecordSink<PSObject>(records, StreamKind.Output);
            ps.Streams.Error = new RecordSink<ErrorRecord>(records, StreamKind.Error);
            ps.Streams.Warning = new RecordSink<WarningRecord>(records, StreamKind.Warning);
            ps.Streams.Verbose = new RecordSink<VerboseRecord>(records, StreamKind.Verbose);
            ps.Streams.Debug = new RecordSink<DebugRecord>(records, StreamKind.Debug);
            ps.Streams.Information = new RecordSink<InformationRecord>(records, StreamKind.Information);
            ps.Streams.Progress = new RecordSink<ProgressRecord>(records, StreamKind.Progress);

            if (payload[HostPayload.Initialization] is string init)
            {
                ps.AddScript(init);
                ps.Invoke(Completed(null), output, null);
                ps.Commands.Clear();
            }

            ps.AddScript((string)payload[HostPayload.Script]!);
            if (Pso.Base(payload[HostPayload.Arguments]) is IEnumerable args)
            {
                foreach (var a in args) ps.AddArgument(a);
            }
            // PowerShell binds $using: values passed under this name, as Start-Job and ThreadJob do.
            if (Pso.Base(payload[HostPayload.Using]) is IDictionary usings && usings.Count > 0)
            {
                ps.AddParameter("--%", usings);
            }
            ps.Invoke(Completed(Pso.Base(payload[HostPayload.Input]) as IEnumerable), output, null);
        }

        private static PSDataCollection<object> Completed(IEnumerable? items)
        {
            var input = new PSDataCollection<object>();
            if (items != null)
            {
                foreach (var item in items) input.Add(item);
            }
            input.Complete();
            return input;
        }

        // A location only this session knows (a drive it created) cannot be set in the job; the
        // job then starts in the process's directory, which is the location's file system path.
        // Set through the session state, not Set-Location: the cmdlet's module would be loaded
        // for it, 100-150 ms of a cold start.
        private static void SetLocation(Runspace runspace, string location)
        {
            try { runspace.SessionStateProxy.Path.SetLocation(WildcardPattern.Escape(location)); }
            catch (Exception e) when (e is RuntimeException or ArgumentException or NotSupportedException) { }
        }

        /// <summary>A stream collection that writes each record as it is added and keeps none.</summary>
        private sealed class RecordSink<T> : PSDataCollection<T>
        {
            private readonly RecordWriter _writer;
            private readonly byte _tag;

            internal RecordSink(RecordWriter writer, StreamKind kind) { _writer = writer; _tag = RecordCodec.Tag(kind); }

            protected override void InsertItem(Guid psInstanceId, int index, T item) => _writer.Write(_tag, item);
        }

        private sealed class RecordWriter : IDisposable
        {
            private readonly Stream _out;
            private readonly bool _marked;
            private readonly object _lock = new();

            internal RecordWriter(int fd)
            {
                _marked = fd == 2;
                _out = new FileStream(new SafeFileHandle((IntPtr)fd, ownsHandle: !_marked), FileAccess.Write, bufferSize: 0);
            }

            internal RecordWriter(Stream sink) => _out = sink;

            /// <summary>One write per record, so records stay whole among other writers of the fd.</summary>
            internal void Write(byte tag, object? value)
            {
                byte[] line = RecordCodec.Encode(tag, value);
                if (_marked)
                {
                    var marked = new byte[HostPayload.StderrMarker.Length + line.Length];
                    HostPayload.StderrMarker.CopyTo(marked, 0);
                    line.CopyTo(marked, HostPayload.StderrMarker.Length);
                    line = marked;
                }
                lock (_lock) { _out.Write(line, 0, line.Length); }
            }

            public void Dispose() => _out.Dispose();
        }
    }
}
