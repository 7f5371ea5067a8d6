// The engine as .NET sees it: the ONLY place that calls librjob. Typed calls; JSON only for the
// start spec and job info; output as raw byte records; failures raised as RJobException.
using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RJob.Interop
{
    public static class Engine
    {
        private const int RecordHeader = 5;     // u8 flags | u32 LE length (RJOB_RECORD_HEADER)
        private const byte RecordContinues = 0x80; // RJOB_RECORD_CONTINUES

        private static readonly JsonSerializerOptions Json = new()
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = true,
            Converters = { new JsonStringEnumConverter() },
        };

        private static readonly UTF8Encoding StrictUtf8 = new(false, true);

        public static string Version => Marshal.PtrToStringUTF8(Native.rjob_version()) ?? "";

        /// <summary>Where the native library is loaded from: &lt;assembly dir&gt;/linux-x64/librjob.so.</summary>
        public static string LibraryPath => Native.LibraryPath;

        /// <summary>Starts a job and returns its id once its process runs.</summary>
        public static ulong Start(StartSpec spec)
        {
            var json = SpecJson(spec);
            Check(Native.rjob_start(ref MemoryMarshal.GetReference(json.WrittenSpan), out var id));
            return id;
        }

        /// <summary>The job's state now, or null once it is removed (or never was).</summary>
        public static JobStatus? Status(ulong id)
        {
            int st = Native.rjob_status(id, out var s);
            if (st == (int)RJobStatus.NotFound) return null;
            Check(st);
            return new JobStatus((JobState)s.State, s.Pid != 0 ? s.Pid : null, s.HasExitCode != 0 ? s.ExitCode : null,
                s.Signal != 0 ? s.Signal : null, s.HasMoreData != 0, s.HasEndTime != 0 ? s.EndTimeMs : null);
        }

        /// <summary>Why the job failed when no exit code says it (or where its output went); null if
        /// nothing to say or the job is gone.</summary>
        public static string? Reason(ulong id) => Info(id)?.Reason;

        /// <summary>Everything the engine knows of one job; null once it is removed.</summary>
        public static JobInfo? Info(ulong id) =>
            Text<JobInfo>((byte[]? b, nuint cap, out nuint len) => Native.rjob_info(id, b, cap, out len), nullWhenNotFound: true);

        /// <summary>The jobs, oldest first; only those with these ids and in these states when given.</summary>
        public static JobInfo[] List(ulong[]? ids = null, JobState[]? states = null)
        {
            string? filter = ids == null && states == null ? null
                : JsonSerializer.Serialize(new ListFilter { Ids = ids, States = states }, Json);
            return Text<JobInfo[]>((byte[]? b, nuint cap, out nuint len) => Native.rjob_list(filter, b, cap, out len), false)
                ?? Array.Empty<JobInfo>();
        }

        /// <summary>How to reach a host as remote jobs do (ssh's argv up to the host; the caller
        /// appends its command) and where rjob-supervisor lives there. Throws on a bad remote.</summary>
        public static SshCommand SshCommand(RemoteSpec remote)
        {
            string json = remote.ToJson();
            return Text<SshCommand>((byte[]? b, nuint cap, out nuint len) => Native.rjob_ssh_command(json, b, cap, out len), false)!;
        }

        /// <summary>Asks the jobs to stop and returns at once. graceMs &lt; 0: each job's own grace.</summary>
        public static void Stop(ulong[] ids, bool force, long graceMs = -1) =>
            Check(Native.rjob_stop(ids, (nuint)ids.Length, force, graceMs));

        /// <summary>True when all (or any) finished within timeoutMs (negative: no limit).</summary>
        public static bool Wait(ulong[] ids, bool any, long timeoutMs)
        {
            int st = Native.rjob_wait(ids, (nuint)ids.Length, any, timeoutMs);
            if (st == (int)RJobStatus.Timeout) return false;
            Check(st);
            return true;
        }

        [ThreadStatic] private static Native.ChangeC[]? t_changes;

        /// <summary>Adds to `into` the jobs whose state changed after sequence `after`, each once in
        /// its current state; waits up to timeoutMs (negative: no limit) when none did. Returns the
        /// sequence to pass next time; 0 gets every job.</summary>
        public static ulong Changes(ulong after, long timeoutMs, List<(ulong Id, JobState State)> into)
        {
            var buf = t_changes ??= new Native.ChangeC[256];
            Check(Native.rjob_changes(after, buf, (nuint)buf.Length, timeoutMs, out var n, out var seq));
            for (int i = 0; i < (int)n; i++) into.Add((buf[i].Id, (JobState)buf[i].State));
            return seq;
        }

        /// <summary>Output records, about maxBytes at most (a single longer record comes alone).
        /// Without keep they are consumed; with keep reading starts at `from`. Waits up to timeoutMs
        /// for some while the job runs.</summary>
        public static OutputBatch Receive(ulong id, bool keep, ulong from, long timeoutMs, int maxBytes = 1 << 20)
        {
            // A budget smaller than one record's header still reads one record (it comes alone).
            int cap = Math.Max(maxBytes, RecordHeader);
            while (true)
            {
                var buf = Scratch.Get(cap);
                int st = Native.rjob_receive(id, keep, from, timeoutMs, buf, (nuint)cap, out var r);
                if (st == (int)RJobStatus.BufferTooSmall)
                {
                    // Nothing was consumed: fetch exactly the record that did not fit.
                    cap = checked((int)r.Needed);
                    timeoutMs = 0;
                    continue;
                }
                Check(st);
                var batch = new OutputBatch { Next = r.Next, Done = r.Done != 0 };
                int at = 0;
                for (nuint i = 0; i < r.Count; i++)
                {
                    byte flags = buf[at];
                    int len = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(buf.AsSpan(at + 1, 4)));
                    var data = buf.AsSpan(at + RecordHeader, len).ToArray();
                    batch.Records.Add(new OutputRecord((byte)(flags & ~RecordContinues), (flags & RecordContinues) != 0, data));
                    at += RecordHeader + len;
                }
                return batch;
            }
        }

        /// <summary>Writes to the stdin of a job started with StdinPipe; close ends its input.</summary>
        public static void Input(ulong id, byte[] bytes, bool close) =>
            Check(Native.rjob_input(id, bytes.Length == 0 ? null : bytes, (nuint)bytes.Length, close));

        /// <summary>Forgets a finished job and its output.</summary>
        public static void Remove(ulong id) => Check(Native.rjob_remove(id));

        private delegate int TextCall(byte[]? buf, nuint cap, out nuint len);

        /// <summary>Calls an export that writes NUL-terminated JSON, growing the buffer to what it
        /// says it needs, and parses the result.</summary>
        private static T? Text<T>(TextCall call, bool nullWhenNotFound) where T : class
        {
            int size = 4096;
            while (true)
            {
                var buf = Scratch.Get(size);
                int st = call(buf, (nuint)buf.Length, out var len);
                if (st == (int)RJobStatus.BufferTooSmall)
                {
                    size = checked((int)len); // a list may grow between calls: loop until it fits
                    continue;
                }
                if (st == (int)RJobStatus.NotFound && nullWhenNotFound) return null;
                Check(st);
                return JsonSerializer.Deserialize<T>(buf.AsSpan(0, (int)len - 1), Json);
            }
        }

        // The spec's UTF-8 bytes and their closing NUL, written into a buffer each thread reuses: the
        // bytes go to rjob_start as they are, not through a string that would be encoded again.
        [ThreadStatic] private static ArrayBufferWriter<byte>? t_spec;
        [ThreadStatic] private static Utf8JsonWriter? t_specWriter;
        // A buffer grown past this by a large stdin is not kept for the next start.
        private const int SpecKeep = 64 << 10;

        private static ArrayBufferWriter<byte> SpecJson(StartSpec spec)
        {
            var buf = t_spec is { Capacity: <= SpecKeep } kept ? kept : t_spec = new ArrayBufferWriter<byte>(4096);
            buf.ResetWrittenCount();
            var w = t_specWriter ??= new Utf8JsonWriter(buf);
            w.Reset(buf); // it may still hold a buffer dropped above
            w.WriteStartObject();
            w.WriteStartArray("argv");
            foreach (var a in spec.Argv) w.WriteStringValue(a);
            w.WriteEndArray();
            if (spec.Name != null) w.WriteString("name", spec.Name);
            if (spec.Command != null) w.WriteString("command", spec.Command);
            if (spec.Kind != null) w.WriteString("kind", spec.Kind);
            if (spec.Cwd != null) w.WriteString("cwd", spec.Cwd);
            if (spec.Env != null)
            {
                w.WriteStartObject("env");
                foreach (var kv in spec.Env) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
            }
            if (spec.Stdin != null) w.WriteString("stdin", StdinText(spec.Stdin));
            if (spec.GraceMs is long g) w.WriteNumber("graceMs", g);
            if (spec.Records) w.WriteBoolean("records", true);
            if (spec.StdinPipe) w.WriteBoolean("stdinPipe", true);
            if (spec.NoWait) w.WriteBoolean("noWait", true);
            if (spec.Remote != null) spec.Remote.Write(w);
            w.WriteEndObject();
            w.Flush();
            buf.GetSpan(1)[0] = 0;
            buf.Advance(1);
            return buf;
        }

        // The start spec carries stdin as a JSON string, so it must be UTF-8 text.
        private static string StdinText(byte[] stdin)
        {
            try { return StrictUtf8.GetString(stdin); }
            catch (DecoderFallbackException)
            {
                throw new RJobException(RJobStatus.InvalidArgument, "stdin must be UTF-8 text");
            }
        }

        private static void Check(int status)
        {
            if (status == 0) return;
            throw new RJobException((RJobStatus)status, LastError() is { Length: > 0 } m ? m : ((RJobStatus)status).ToString());
        }

        /// <summary>The message of the last failed call on this thread.</summary>
        private static string LastError()
        {
            int size = 512;
            while (true)
            {
                var buf = Scratch.Get(size);
                int st = Native.rjob_last_error(buf, (nuint)buf.Length, out var len);
                if (st == (int)RJobStatus.BufferTooSmall) { size = checked((int)len); continue; }
                return st == 0 && len > 0 ? Encoding.UTF8.GetString(buf, 0, (int)len - 1) : "";
            }
        }
    }

    /// <summary>One reusable buffer per thread for the calls that fill caller buffers. It grows to
    /// what a call says it needs, never more; one bigger than Keep serves its call and is dropped.</summary>
    internal static class Scratch
    {
        private const int Keep = 1 << 20;
        [ThreadStatic] private static byte[]? t_buf;

        internal static byte[] Get(int size)
        {
            var b = t_buf;
            if (b != null && b.Length >= size) return b;
            b = new byte[size];
            if (size <= Keep) t_buf = b;
            return b;
        }
    }
}
