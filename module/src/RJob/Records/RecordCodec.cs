// One PowerShell stream record as one line of bytes: a tag letter and the record serialized by
// PowerShell's own serializer (CLIXML, as remoting and Start-Job use), base64 so the line holds
// no newline. The job host writes these lines to the records pipe; the module reads them back.
using System;
using System.Buffers;
using System.Buffers.Text;
using System.Collections;
using System.Management.Automation;
using System.Text;

namespace RJob.Records
{
    /// <summary>The job's streams, in the order Receive-Job writes them.</summary>
    public enum StreamKind { Output, Error, Verbose, Debug, Warning, Progress, Information }

    internal static class RecordCodec
    {
        /// <summary>A script job's terminating error: it ends the job and becomes its reason.</summary>
        internal const byte TerminatingTag = (byte)'T';

        internal static byte Tag(StreamKind kind) => kind switch
        {
            StreamKind.Output => (byte)'O',
            StreamKind.Error => (byte)'E',
            StreamKind.Verbose => (byte)'V',
            StreamKind.Debug => (byte)'D',
            StreamKind.Warning => (byte)'W',
            StreamKind.Progress => (byte)'P',
            _ => (byte)'I',
        };

        /// <summary>The line for one record, newline included.</summary>
        internal static byte[] Encode(byte tag, object? value)
        {
            if (value is ErrorRecord error) SmaInternals.IncludeInvocationInfo(error);
            // Depth 1, as remoting sends output; an information record's MessageData is one
            // level down, and Write-Host's colours are in it.
            int depth = value is InformationRecord ? 2 : 1;
            byte[] utf8 = Encoding.UTF8.GetBytes(PSSerializer.Serialize(value, depth));
            var line = new byte[1 + Base64.GetMaxEncodedToUtf8Length(utf8.Length) + 1];
            line[0] = tag;
            Base64.EncodeToUtf8(utf8, line.AsSpan(1), out _, out int written);
            line[1 + written] = (byte)'\n';
            return line;
        }

        /// <summary>Reads a record line (without its newline). False when the line is not one.</summary>
        internal static bool TryDecode(ReadOnlySpan<byte> line, out byte tag, out object? value)
        {
            tag = 0;
            value = null;
            if (line.Length < 1 || !IsTag(line[0])) return false;
            byte[] utf8 = new byte[Base64.GetMaxDecodedFromUtf8Length(line.Length - 1)];
            if (Base64.DecodeFromUtf8(line[1..], utf8, out _, out int n) != OperationStatus.Done) return false;
            object? raw;
            try
            {
                raw = PSSerializer.Deserialize(Encoding.UTF8.GetString(utf8, 0, n));
            }
            catch (Exception e) when (e is System.Xml.XmlException or PSInvalidOperationException or InvalidOperationException)
            {
                return false;
            }
            tag = line[0];
            value = Rehydrate(tag, raw);
            return true;
        }

        internal static StreamKind? KindOf(byte tag) => tag switch
        {
            (byte)'O' => StreamKind.Output,
            (byte)'E' => StreamKind.Error,
            (byte)'V' => StreamKind.Verbose,
            (byte)'D' => StreamKind.Debug,
            (byte)'W' => StreamKind.Warning,
            (byte)'P' => StreamKind.Progress,
            (byte)'I' => StreamKind.Information,
            _ => null,
        };

        private static bool IsTag(byte b) => b == TerminatingTag || KindOf(b) != null;

        // Deserialized records are property bags; the job's streams hold the real record types.
        private static object? Rehydrate(byte tag, object? raw)
        {
            var pso = raw as PSObject;
            switch (tag)
            {
                case (byte)'E':
                case TerminatingTag:
                    if (pso?.BaseObject is ErrorRecord live) return live;
                    return pso != null ? SmaInternals.ErrorRecordFrom(pso) : new ErrorRecord(new RemoteException(raw?.ToString() ?? ""), "RJobJobError", ErrorCategory.NotSpecified, null);
                case (byte)'W':
                    return pso != null ? new WarningRecord(pso) : new WarningRecord(raw?.ToString() ?? "");
                case (byte)'V':
                    return pso != null ? new VerboseRecord(pso) : new VerboseRecord(raw?.ToString() ?? "");
                case (byte)'D':
                    return pso != null ? new DebugRecord(pso) : new DebugRecord(raw?.ToString() ?? "");
                case (byte)'I':
                    return Information(pso, raw);
                case (byte)'P':
                    return Progress(pso, raw);
                default:
                    return raw;
            }
        }

        private static InformationRecord Information(PSObject? pso, object? raw)
        {
            if (pso?.BaseObject is InformationRecord live) return live;
            if (pso == null) return new InformationRecord(raw, "");
            object? data = pso.Properties["MessageData"]?.Value;
            // Write-Host's message keeps its type, so the receiving host shows it with its colours.
            if (data is PSObject d && d.TypeNames.Contains("Deserialized.System.Management.Automation.HostInformationMessage"))
            {
                data = new HostInformationMessage
                {
                    Message = d.Properties["Message"]?.Value?.ToString() ?? "",
                    NoNewLine = As<bool>(d.Properties["NoNewLine"]?.Value),
                    ForegroundColor = As<ConsoleColor>(d.Properties["ForegroundColor"]?.Value),
                    BackgroundColor = As<ConsoleColor>(d.Properties["BackgroundColor"]?.Value),
                };
            }
            var record = new InformationRecord(data, pso.Properties["Source"]?.Value?.ToString() ?? "");
            if (As<DateTime>(pso.Properties["TimeGenerated"]?.Value) is DateTime t) record.TimeGenerated = t;
            record.User = pso.Properties["User"]?.Value?.ToString();
            record.Computer = pso.Properties["Computer"]?.Value?.ToString();
            if (As<uint>(pso.Properties["ProcessId"]?.Value) is uint p) record.ProcessId = p;
            if (As<uint>(pso.Properties["NativeThreadId"]?.Value) is uint nt) record.NativeThreadId = nt;
            if (As<uint>(pso.Properties["ManagedThreadId"]?.Value) is uint mt) record.ManagedThreadId = mt;
            if (Pso.Base(pso.Properties["Tags"]?.Value) is IEnumerable tags)
            {
                foreach (var tg in tags) record.Tags.Add(tg?.ToString() ?? "");
            }
            return record;
        }

        private static ProgressRecord Progress(PSObject? pso, object? raw)
        {
            if (Pso.Base(raw) is ProgressRecord live) return live;
            var record = new ProgressRecord(As<int>(pso?.Properties["ActivityId"]?.Value) ?? 0,
                pso?.Properties["Activity"]?.Value?.ToString() ?? "-", pso?.Properties["StatusDescription"]?.Value?.ToString() ?? "-");
            if (pso == null) return record;
            record.CurrentOperation = pso.Properties["CurrentOperation"]?.Value?.ToString();
            record.ParentActivityId = As<int>(pso.Properties["ParentActivityId"]?.Value) ?? -1;
            record.PercentComplete = As<int>(pso.Properties["PercentComplete"]?.Value) ?? -1;
            record.SecondsRemaining = As<int>(pso.Properties["SecondsRemaining"]?.Value) ?? -1;
            if (As<ProgressRecordType>(pso.Properties["RecordType"]?.Value) is ProgressRecordType rt) record.RecordType = rt;
            return record;
        }

        private static T? As<T>(object? value) where T : struct =>
            value != null && LanguagePrimitives.TryConvertTo(value, out T result) ? result : null;
    }
}
