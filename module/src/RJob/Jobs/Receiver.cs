// Reads a job's output from the engine and turns it back into PowerShell stream items.
//
// Output arrives as raw bytes; the pieces of a long line are joined as bytes and each line is
// decoded once, as UTF-8. A native job's stdout lines are strings and its stderr lines errors. A
// script job's child pwsh writes one line per record, "<tag><base64 CLIXML>", tags O E W V D I
// (see private/JobHost.ps1), on stdout or on the records pipe (stream 2), so objects come back
// deserialized as Receive-Job gives them.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Text;
using RJob.Interop;

namespace RJob
{
    public enum RJobStream { Output, Error, Warning, Verbose, Debug, Information }

    public sealed class ReceivedItem
    {
        public RJobStream Stream { get; }
        public object? Value { get; }
        public ReceivedItem(RJobStream stream, object? value) { Stream = stream; Value = value; }
    }

    public sealed class Receiver
    {
        private readonly RJobJob _job;
        private readonly bool _keep;
        private ulong _from;
        // A consuming read continues where the last one stopped, even mid-line: the pieces live on
        // the job. A Keep read starts over, so it keeps its own.
        private readonly LineJoiner _joiner;

        public Receiver(RJobJob job, bool keep)
        {
            _job = job;
            _keep = keep;
            _joiner = keep ? new LineJoiner() : job.Pending;
        }

        /// <summary>True once the job has ended and every record has been read.</summary>
        public bool Done { get; private set; }

        /// <summary>The next items; waits up to timeoutMs for some while the job runs. maxBytes
        /// bounds one read from the engine (a longer line still comes whole).</summary>
        public List<ReceivedItem> Next(long timeoutMs, int maxBytes = 1 << 20)
        {
            var items = new List<ReceivedItem>();
            lock (_joiner) // one reader at a time completes the job's pending line
            {
                Read(items, timeoutMs, maxBytes);
            }
            return items;
        }

        private void Read(List<ReceivedItem> items, long timeoutMs, int maxBytes)
        {
            while (!Done)
            {
                var batch = Engine.Receive(_job.EngineId, _keep, _from, timeoutMs, maxBytes);
                _from = batch.Next;
                Done = batch.Done;
                foreach (var r in batch.Records)
                {
                    if (_joiner.Add(r) is byte[] line) items.Add(Decode(r.Stream, Encoding.UTF8.GetString(line)));
                }
                // Only pieces of a long line so far: take the rest that is ready now.
                if (items.Count > 0 || batch.Records.Count == 0) break;
                timeoutMs = 0;
            }
        }

        private ReceivedItem Decode(int stream, string line)
        {
            bool record = stream == 2 || (stream == 0 && _job.Kind == "Script");
            if (!record || line.Length == 0)
            {
                return stream != 1
                    ? new ReceivedItem(RJobStream.Output, line)
                    : new ReceivedItem(RJobStream.Error, NativeError(line));
            }
            object? value;
            try
            {
                value = PSSerializer.Deserialize(Encoding.UTF8.GetString(Convert.FromBase64String(line.Substring(1))));
            }
            catch (Exception)
            {
                // Not a record from the job host (pwsh printed something itself): pass it on as text.
                return new ReceivedItem(RJobStream.Output, line);
            }
            switch (line[0])
            {
                case 'E': return new ReceivedItem(RJobStream.Error, ScriptError(value));
                case 'W': return new ReceivedItem(RJobStream.Warning, value?.ToString() ?? "");
                case 'V': return new ReceivedItem(RJobStream.Verbose, value?.ToString() ?? "");
                case 'D': return new ReceivedItem(RJobStream.Debug, value?.ToString() ?? "");
                case 'I': return new ReceivedItem(RJobStream.Information, Information(value));
                default: return new ReceivedItem(RJobStream.Output, value);
            }
        }

        private static ErrorRecord NativeError(string line) =>
            new ErrorRecord(new RemoteException(line), "NativeCommandError", ErrorCategory.NotSpecified, null);

        private static ErrorRecord ScriptError(object? value)
        {
            var h = Unwrap(value) as IDictionary;
            string message = h?["Message"]?.ToString() ?? value?.ToString() ?? "";
            string id = h?["ErrorId"]?.ToString() ?? "RJobScriptError";
            var category = Enum.TryParse<ErrorCategory>(h?["Category"]?.ToString(), out var c) ? c : ErrorCategory.NotSpecified;
            return new ErrorRecord(new RemoteException(message), id, category, h?["TargetObject"]);
        }

        private static InformationRecord Information(object? value)
        {
            var h = Unwrap(value) as IDictionary;
            var record = new InformationRecord(h?["MessageData"], h?["Source"]?.ToString() ?? "");
            if (h?["Tags"] is IEnumerable tags)
            {
                foreach (var t in tags) record.Tags.Add(t?.ToString() ?? "");
            }
            return record;
        }

        private static object? Unwrap(object? v) => v is PSObject p ? p.BaseObject : v;
    }
}
