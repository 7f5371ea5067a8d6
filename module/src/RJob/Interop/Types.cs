// The typed shapes of the engine API (module/src/RJob/Interop/Engine.cs): what goes in, what comes
// back. No P/Invoke here.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Text.Json.Serialization;

namespace RJob.Interop
{
    /// <summary>Status codes of librjob (include/rjob.h); never renumbered.</summary>
    public enum RJobStatus
    {
        Ok = 0, NullPointer = 1, InvalidUtf8 = 2, InvalidJson = 3, InvalidArgument = 4, NotFound = 5,
        JobActive = 6, SpawnFailed = 7, Timeout = 8, Io = 9, UnknownPointer = 10, Panic = 11,
        BufferTooSmall = 12, InputClosed = 13,
    }

    public sealed class RJobException : Exception
    {
        public RJobStatus Status { get; }
        public RJobException(RJobStatus status, string message) : base(message) { Status = status; }
    }

    /// <summary>What to start (serialized as the engine's start spec, src/spec.rs).</summary>
    public sealed class StartSpec
    {
        /// <summary>Executable and arguments, run directly: no shell.</summary>
        public string[] Argv { get; set; } = Array.Empty<string>();
        public string? Name { get; set; }
        public string? Command { get; set; }
        public string? Kind { get; set; }
        public string? Cwd { get; set; }
        /// <summary>The job's whole environment; null inherits the supervisor's.</summary>
        public IDictionary<string, string>? Env { get; set; }
        /// <summary>Written to the job's stdin, which is then closed; null means /dev/null.</summary>
        public byte[]? Stdin { get; set; }
        /// <summary>Keep the job's stdin open after Stdin: more comes with Engine.Input.</summary>
        public bool StdinPipe { get; set; }
        /// <summary>SIGTERM-to-SIGKILL time of a graceful stop; null takes the engine's default.</summary>
        public long? GraceMs { get; set; }
        /// <summary>Give the job fd 3, whose lines come back as stream 2.</summary>
        public bool Records { get; set; }
        /// <summary>Run on another host through ssh (RemoteSpec.cs); null runs here.</summary>
        public RemoteSpec? Remote { get; set; }
        /// <summary>Return once the job's supervisor has it, not once its process runs: the pid
        /// comes later, and a process that cannot start fails the job (the engine's noWait).</summary>
        public bool NoWait { get; set; }
    }

    /// <summary>The hot part of a job's state (rjob_status), read without JSON.</summary>
    public readonly struct JobStatus
    {
        public JobState State { get; }
        public int? Pid { get; }
        public int? ExitCode { get; }
        public int? Signal { get; }
        public bool HasMoreData { get; }
        public long? EndTimeMs { get; }

        public JobStatus(JobState state, int? pid, int? exitCode, int? signal, bool hasMoreData, long? endTimeMs)
        {
            State = state; Pid = pid; ExitCode = exitCode; Signal = signal; HasMoreData = hasMoreData; EndTimeMs = endTimeMs;
        }
    }

    /// <summary>One record of output: raw bytes as the job wrote them, line ending removed.</summary>
    public readonly struct OutputRecord
    {
        /// <summary>0 stdout, 1 stderr, 2 the records pipe.</summary>
        public byte Stream { get; }
        /// <summary>The line goes on in the next record of the same stream.</summary>
        public bool Continued { get; }
        public byte[] Data { get; }

        public OutputRecord(byte stream, bool continued, byte[] data) { Stream = stream; Continued = continued; Data = data; }
    }

    public sealed class OutputBatch
    {
        public List<OutputRecord> Records { get; } = new();
        /// <summary>Where a Keep read goes on.</summary>
        public ulong Next { get; init; }
        /// <summary>The job has ended and nothing follows Next.</summary>
        public bool Done { get; init; }
    }

    /// <summary>rjob_ssh_command: ssh's argv up to and including the host, and the supervisor's
    /// path on that host.</summary>
    public sealed class SshCommand
    {
        public string[] Argv { get; set; } = Array.Empty<string>();
        public string SupervisorPath { get; set; } = "";
    }

    /// <summary>Everything the engine knows of one job (rjob_info, rjob_list).</summary>
    public sealed class JobInfo
    {
        public ulong Id { get; set; }
        public string InstanceId { get; set; } = "";
        public string Name { get; set; } = "";
        public string Command { get; set; } = "";
        public string Kind { get; set; } = "";
        public JobState State { get; set; }
        public int? Pid { get; set; }
        public int? ExitCode { get; set; }
        public int? Signal { get; set; }
        public long BeginTimeMs { get; set; }
        public long? EndTimeMs { get; set; }
        public bool HasMoreData { get; set; }
        public string Location { get; set; } = "";
        /// <summary>Why the job failed when no exit code says it.</summary>
        public string? Reason { get; set; }
    }

    /// <summary>rjob_list's filter: the engine filters by id and state only.</summary>
    internal sealed class ListFilter
    {
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ulong[]? Ids { get; set; }
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public JobState[]? States { get; set; }
    }
}
