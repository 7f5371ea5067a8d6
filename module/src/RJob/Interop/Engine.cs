// The engine as .NET sees it: typed calls, JSON converted, failures raised as RJobException.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RJob
{
    /// <summary>Status codes of librjob (include/rjob.h).</summary>
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

    /// <summary>What the engine reports of one job (rjob_get).</summary>
    public sealed class JobSnapshot
    {
        public ulong Id { get; set; }
        public string InstanceId { get; set; } = "";
        public string Name { get; set; } = "";
        public string Command { get; set; } = "";
        public string Kind { get; set; } = "";
        public string State { get; set; } = "";
        public int? Pid { get; set; }
        public int? ExitCode { get; set; }
        public int? Signal { get; set; }
        public long BeginTimeMs { get; set; }
        public long? EndTimeMs { get; set; }
        public bool HasMoreData { get; set; }
        public string Location { get; set; } = "";
        public string? Reason { get; set; }
    }

    public sealed class OutputRecord
    {
        [JsonPropertyName("s")] public int Stream { get; set; }
        [JsonPropertyName("d")] public string Data { get; set; } = "";
        [JsonPropertyName("c")] public bool Continued { get; set; }
    }

    public sealed class OutputBatch
    {
        [JsonPropertyName("records")] public List<OutputRecord> Records { get; set; } = new();
        [JsonPropertyName("next")] public ulong Next { get; set; }
        [JsonPropertyName("done")] public bool Done { get; set; }
    }

    internal sealed class StartSpec
    {
        public string[] Argv { get; set; } = Array.Empty<string>();
        public string? Name { get; set; }
        public string? Command { get; set; }
        public string? Kind { get; set; }
        public string? Cwd { get; set; }
        public Dictionary<string, string>? Env { get; set; }
        public string? Stdin { get; set; }
        public ulong? GraceMs { get; set; }
    }

    public static class Engine
    {
        private static readonly JsonSerializerOptions Json = new()
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };

        public static string Version => Marshal.PtrToStringUTF8(Native.rjob_version()) ?? "";

        public static string LibraryPath => Native.LibraryPath;

        /// <summary>Starts a job; argv[0] runs directly, no shell. Returns its id.</summary>
        public static ulong Start(string[] argv, string? name, string? command, string kind, string? cwd,
                                  IDictionary? environment, string? stdin, double? graceSeconds)
        {
            var spec = new StartSpec
            {
                Argv = argv, Name = name, Command = command, Kind = kind, Cwd = cwd, Stdin = stdin,
                GraceMs = graceSeconds is double g ? (ulong)Math.Round(g * 1000) : null,
            };
            if (environment != null)
            {
                spec.Env = new Dictionary<string, string>();
                foreach (DictionaryEntry e in environment)
                {
                    spec.Env[e.Key.ToString()!] = e.Value?.ToString() ?? "";
                }
            }
            Check(Native.rjob_start(JsonSerializer.Serialize(spec, Json), out var id));
            return id;
        }

        public static JobSnapshot[] List(ulong[]? ids = null, string[]? names = null, string[]? states = null, string[]? instanceIds = null)
        {
            var filter = JsonSerializer.Serialize(new { ids, names, states, instanceIds }, Json);
            Check(Native.rjob_list(filter, out var p));
            return JsonSerializer.Deserialize<JobSnapshot[]>(TakeString(p), Json) ?? Array.Empty<JobSnapshot>();
        }

        /// <summary>The job's current snapshot, or null when the engine no longer has it.</summary>
        public static JobSnapshot? Get(ulong id)
        {
            int st = Native.rjob_get(id, out var p);
            if (st == (int)RJobStatus.NotFound) return null;
            Check(st);
            return JsonSerializer.Deserialize<JobSnapshot>(TakeString(p), Json);
        }

        /// <summary>Sends the stop; returns at once. A negative grace means each job's own.</summary>
        public static void Stop(ulong[] ids, bool force, double graceSeconds = -1)
        {
            long ms = graceSeconds < 0 ? -1 : (long)Math.Round(graceSeconds * 1000);
            Check(Native.rjob_stop(ids, (UIntPtr)ids.Length, force, ms));
        }

        /// <summary>True when all (or any) finished within the timeout (ms; negative = none).</summary>
        public static bool Wait(ulong[] ids, bool any, long timeoutMs)
        {
            int st = Native.rjob_wait(ids, (UIntPtr)ids.Length, any, timeoutMs);
            if (st == (int)RJobStatus.Timeout) return false;
            Check(st);
            return true;
        }

        public static OutputBatch Receive(ulong id, bool keep, ulong from, uint maxRecords, long timeoutMs)
        {
            Check(Native.rjob_receive(id, keep, from, maxRecords, timeoutMs, out var p));
            return JsonSerializer.Deserialize<OutputBatch>(TakeString(p), Json) ?? new OutputBatch();
        }

        public static void Remove(ulong id) => Check(Native.rjob_remove(id));

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
    }
}
