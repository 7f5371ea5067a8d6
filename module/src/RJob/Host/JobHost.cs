// The job host: runs inside the child pwsh of a script job (see Jobs/ScriptLaunch.cs for how it
// is started). It reads the job from stdin, runs the script in a fresh runspace, so nothing of the
// host leaks into the job, and writes every record of every stream, in order, to the records
// channel, one line each (Records/RecordCodec.cs). The exit code is 1 when the script ended with
// a terminating error (written as a 'T' record first), else 0.
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
        /// <summary>Runs the job described on stdin; returns the process exit code.</summary>
        public static int Run()
        {
            Hashtable? payload;
            using (var stdin = Console.OpenStandardInput())
            using (var text = new StreamReader(stdin, new UTF8Encoding(false)))
            {
                payload = Pso.Base(PSSerializer.Deserialize(text.ReadToEnd())) as Hashtable;
            }
            if (payload == null)
            {
                Console.Error.WriteLine("RJob job host: stdin did not hold a job.");
                return 2;
            }
            int fd = payload[HostPayload.RecordsFd] is int n ? n : 3;
            using var records = new RecordWriter(fd);
            try
            {
                RunScript(payload, records);
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

        private static void RunScript(Hashtable payload, RecordWriter records)
        {
            var iss = InitialSessionState.CreateDefault2();
            if (payload[HostPayload.Module] is string module) iss.ImportPSModule(new[] { module });
            using var runspace = RunspaceFactory.CreateRunspace(iss);
            runspace.Open();
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
        private static void SetLocation(Runspace runspace, string location)
        {
            using var ps = PowerShell.Create();
            ps.Runspace = runspace;
            ps.AddCommand("Set-Location").AddParameter("LiteralPath", location);
            try { ps.Invoke(); } catch (RuntimeException) { }
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
