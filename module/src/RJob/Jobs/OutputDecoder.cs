// Turns a job's lines into PowerShell stream items. A native job's stdout lines are strings and
// its stderr lines errors. A script job's records (the records pipe, or marked stderr lines while
// the engine has none) are restored objects on their own streams; anything else it writes to
// stdout or stderr is plain text, so no text can pass for a record.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Text;
using RJob.Host;
using RJob.Records;

namespace RJob.Jobs
{
    /// <summary>Where decoded items go: the job's collections, or a receiver.</summary>
    internal interface IItemSink
    {
        void Add(StreamKind kind, object item, int size);
    }

    /// <summary>Items in arrival order, for a reader that writes them itself.</summary>
    internal sealed class ItemBatch : List<(StreamKind Kind, object? Item)>, IItemSink
    {
        public void Add(StreamKind kind, object item, int size) => Add((kind, item));
    }

    internal sealed class OutputDecoder
    {
        private readonly bool _script;
        private readonly Encoding _encoding;

        internal OutputDecoder(bool script, Encoding encoding)
        {
            _script = script;
            _encoding = encoding;
        }

        /// <param name="terminating">Receives a script job's terminating error.</param>
        internal void Decode(byte stream, byte[] line, IItemSink sink, Action<ErrorRecord, IItemSink> terminating)
        {
            if (_script && (stream == 2 || (stream == 1 && !RecordsChannel.EnginePipe && IsMarked(line))))
            {
                int skip = stream == 2 ? 0 : HostPayload.StderrMarker.Length;
                if (RecordCodec.TryDecode(line.AsSpan(skip), out byte tag, out object? value))
                {
                    if (tag == RecordCodec.TerminatingTag) terminating((ErrorRecord)value!, sink);
                    else if (RecordCodec.KindOf(tag) is StreamKind kind && value != null)
                    {
                        sink.Add(kind, kind == StreamKind.Output ? PSObject.AsPSObject(value) : value, line.Length);
                    }
                    return;
                }
                // Not a record after all: it stays visible as text rather than being lost.
            }
            string text = _encoding.GetString(line);
            if (stream == 1) sink.Add(StreamKind.Error, NativeError(text), line.Length);
            else sink.Add(StreamKind.Output, new PSObject(text), line.Length);
        }

        internal static ErrorRecord NativeError(string text) =>
            new ErrorRecord(new RemoteException(text), "NativeCommandError", ErrorCategory.NotSpecified, null);

        private static bool IsMarked(byte[] line) => line.AsSpan().StartsWith(HostPayload.StderrMarker);
    }
}
