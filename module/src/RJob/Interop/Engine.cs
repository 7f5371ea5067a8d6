// TEMPORARY (module branch): the engine facade of BRIEF.md ("The C# interop facade") implemented
// over today's JSON ABI, so that the module compiles against the final API. The engine team's
// Engine.cs (ABI v2: typed status, change feed, byte records, records pipe) replaces this file at
// the merge; nothing but the facade lives here.
//
// Stand-ins until then: Status/Reason read rjob_get's JSON; Changes polls (rjob_list over the jobs
// it has not seen finish, woken early by rjob_wait); Receive maps maxBytes to a record count and
// returns today's strings as UTF-8 bytes; StartSpec.Records is refused (no fd 3 yet).
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RJob.Interop
{
    /// <summary>Status codes of librjob (include/rjob.h); never renumbered, new ones appended.</summary>
    public enum RJobStatus
    {
        Ok = 0, NullPointer = 1, InvalidUtf8 = 2, InvalidJson = 3, InvalidArgument = 4, NotFound = 5,
        JobActive = 6, SpawnFailed = 7, Timeout = 8, Io = 9, UnknownPointer = 10, Panic = 11,
    }

    public sealed class RJobException : Exception
    {
        public RJobStatus Status { get; }
        public RJobException(RJobStatus status, string message) : base(message) { Status = status; }
    }

    public sealed class StartSpec
    {
        public string[] Argv { get; set; } = Array.Empty<string>();
        public string? Name { get; set; }
        public string? Command { get; set; }
        public string? Kind { get; set; }
        public string? Cwd { get; set; }
        public IDictionary<string, string>? Env { get; set; }
        public byte[]? Stdin { get; set; }
        public long? GraceMs { get; set; }
        /// <summary>The job's fd 3 is a pipe whose lines come back as stream 2.</summary>
        public bool Records { get; set; }
    }

    public readonly struct JobStatus
    {
        public JobState State { get; init; }
        public int? Pid { get; init; }
        public int? ExitCode { get; init; }
        public int? Signal { get; init; }
        public bool HasMoreData { get; init; }
        public long? EndTimeMs { get; init; }
    }

    public readonly struct OutputRecord
    {
        /// <summary>0 stdout, 1 stderr, 2 records pipe.</summary>
        public byte Stream { get; init; }
        /// <summary>The line goes on in the next record of the same stream.</summary>
        public bool Continued { get; init; }
        public byte[] Data { get; init; }
    }

    public sealed class OutputBatch
    {
        public List<OutputRecord> Records { get; } = new();
        public ulong Next { get; set; }
        public bool Done { get; set; }
    }

    public static class Engine
    {
        private static readonly JsonSerializerOptions Json = new()
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };

        public static ulong Start(StartSpec spec)
        {
            if (spec.Records)
            {
                throw new RJobException(RJobStatus.InvalidArgument, "this engine has no records pipe yet");
            }
            var json = JsonSerializer.Serialize(new
            {
                argv = spec.Argv,
                name = spec.Name,
                command = spec.Command,
                kind = spec.Kind,
                cwd = spec.Cwd,
                env = spec.Env,
                stdin = spec.Stdin is byte[] b ? Encoding.UTF8.GetString(b) : null,
                graceMs = spec.GraceMs,
            }, Json);
            Check(Native.rjob_start(json, out var id));
            Feed.Started(id);
            return id;
        }

        public static JobStatus? Status(ulong id)
        {
            var s = Get(id);
            if (s == null) return null;
            return new JobStatus
            {
                State = ParseState(s.State), Pid = s.Pid, ExitCode = s.ExitCode, Signal = s.Signal,
                HasMoreData = s.HasMoreData, EndTimeMs = s.EndTimeMs,
            };
        }

        public static string? Reason(ulong id) => Get(id)?.Reason;

        public static void Stop(ulong[] ids, bool force, long graceMs = -1) =>
            Check(Native.rjob_stop(ids, (UIntPtr)ids.Length, force, graceMs));

        public static bool Wait(ulong[] ids, bool any, long timeoutMs)
        {
            int st = Native.rjob_wait(ids, (UIntPtr)ids.Length, any, timeoutMs);
            if (st == (int)RJobStatus.Timeout) return false;
            Check(st);
            return true;
        }

        public static ulong Changes(ulong after, long timeoutMs, List<(ulong Id, JobState State)> into) =>
            Feed.Changes(after, timeoutMs, into);

        public static OutputBatch Receive(ulong id, bool keep, ulong from, long timeoutMs, int maxBytes = 1 << 20)
        {
            // Few records per call: the JSON string of a batch stays off the large-object heap.
            uint maxRecords = (uint)Math.Clamp(maxBytes / 2048, 16, 4096);
            Check(Native.rjob_receive(id, keep, from, maxRecords, timeoutMs, out var p));
            var raw = JsonSerializer.Deserialize<RawBatch>(TakeString(p), Json) ?? new RawBatch();
            var batch = new OutputBatch { Next = raw.Next, Done = raw.Done };
            foreach (var r in raw.Records)
            {
                batch.Records.Add(new OutputRecord { Stream = (byte)r.Stream, Continued = r.Continued, Data = Encoding.UTF8.GetBytes(r.Data) });
            }
            return batch;
        }

        public static void Remove(ulong id)
        {
            Check(Native.rjob_remove(id));
            Feed.Removed(id);
        }

        private static Snapshot? Get(ulong id)
        {
            int st = Native.rjob_get(id, out var p);
            if (st == (int)RJobStatus.NotFound) return null;
            Check(st);
            return JsonSerializer.Deserialize<Snapshot>(TakeString(p), Json);
        }

        private static JobState ParseState(string s) => Enum.TryParse<JobState>(s, out var st) ? st : JobState.NotStarted;

        private static string TakeString(IntPtr p)
        {
            try { return Marshal.PtrToStringUTF8(p) ?? ""; }
            finally { Native.rjob_string_free(p); }
        }

        private static void Check(int status)
        {
            if (status == 0) return;
            string message = "";
            if (Native.rjob_last_error(out var p) == 0 && p != IntPtr.Zero) message = TakeString(p);
            throw new RJobException((RJobStatus)status, message.Length > 0 ? message : ((RJobStatus)status).ToString());
        }

        private sealed class Snapshot
        {
            public string State { get; set; } = "";
            public int? Pid { get; set; }
            public int? ExitCode { get; set; }
            public int? Signal { get; set; }
            public long? EndTimeMs { get; set; }
            public bool HasMoreData { get; set; }
            public string? Reason { get; set; }
        }

        private sealed class RawRecord
        {
            [JsonPropertyName("s")] public int Stream { get; set; }
            [JsonPropertyName("d")] public string Data { get; set; } = "";
            [JsonPropertyName("c")] public bool Continued { get; set; }
        }

        private sealed class RawBatch
        {
            [JsonPropertyName("records")] public List<RawRecord> Records { get; set; } = new();
            [JsonPropertyName("next")] public ulong Next { get; set; }
            [JsonPropertyName("done")] public bool Done { get; set; }
        }

        /// <summary>A level-triggered change feed made by polling: the last state seen per job
        /// and the sequence number of that change.</summary>
        private static class Feed
        {
            private static readonly object s_lock = new();
            private static readonly Dictionary<ulong, (JobState State, ulong Seq)> s_last = new();
            private static readonly HashSet<ulong> s_active = new();
            private static ulong s_seq;
            private static readonly string[] s_endStates = { "Stopping", "Completed", "Failed", "Stopped" };

            internal static void Started(ulong id)
            {
                lock (s_lock) { s_last[id] = (JobState.Running, ++s_seq); s_active.Add(id); }
            }

            internal static void Removed(ulong id)
            {
                lock (s_lock) { s_last.Remove(id); s_active.Remove(id); }
            }

            internal static ulong Changes(ulong after, long timeoutMs, List<(ulong Id, JobState State)> into)
            {
                long deadline = timeoutMs < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMs;
                while (true)
                {
                    ulong[] active;
                    lock (s_lock)
                    {
                        Poll();
                        foreach (var (id, last) in s_last)
                        {
                            if (last.Seq > after) into.Add((id, last.State));
                        }
                        if (into.Count > 0) return s_seq;
                        active = new ulong[s_active.Count];
                        s_active.CopyTo(active);
                    }
                    long left = deadline - Environment.TickCount64;
                    if (left <= 0) return after;
                    long slice = Math.Min(left, 20);
                    if (active.Length == 0) System.Threading.Thread.Sleep((int)slice);
                    else Native.rjob_wait(active, (UIntPtr)active.Length, true, slice);
                }
            }

            // Under s_lock: records the jobs that reached Stopping or a final state.
            private static void Poll()
            {
                if (s_active.Count == 0) return;
                var ids = new ulong[s_active.Count];
                s_active.CopyTo(ids);
                var filter = JsonSerializer.Serialize(new { ids, states = s_endStates }, Json);
                if (Native.rjob_list(filter, out var p) != 0) return;
                var found = JsonSerializer.Deserialize<FeedEntry[]>(TakeString(p), Json) ?? Array.Empty<FeedEntry>();
                foreach (var e in found)
                {
                    var state = ParseState(e.State);
                    if (!s_last.TryGetValue(e.Id, out var last) || last.State != state) s_last[e.Id] = (state, ++s_seq);
                    if (state is JobState.Completed or JobState.Failed or JobState.Stopped) s_active.Remove(e.Id);
                }
            }

            private sealed class FeedEntry
            {
                public ulong Id { get; set; }
                public string State { get; set; } = "";
            }
        }
    }
}
