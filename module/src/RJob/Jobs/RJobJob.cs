// The object Start-RJob and Get-RJob return. Like a built-in job it is live: State and
// HasMoreData are read from the engine each time, until the job is removed.
using System;
using System.Management.Automation;

namespace RJob
{
    public sealed class RJobJob
    {
        private JobSnapshot _last;

        public RJobJob(JobSnapshot snapshot) { _last = snapshot; }

        /// <summary>Job objects for many snapshots at once (a PowerShell loop costs far more).</summary>
        public static RJobJob[] Wrap(JobSnapshot[] snapshots) => Array.ConvertAll(snapshots, s => new RJobJob(s));

        /// <summary>The engine's id: sequential from 1 in this pwsh.</summary>
        public int Id => (int)_last.Id;
        public Guid InstanceId => Guid.Parse(_last.InstanceId);
        public string Name => _last.Name;
        public string Command => _last.Command;
        /// <summary>"Script" (a script block in a child pwsh) or "Native" (an executable).</summary>
        public string Kind => _last.Kind;
        public string PSJobTypeName => "RJob." + _last.Kind;
        public string Location => _last.Location;
        public JobState State => ParseState(Current.State);
        public bool HasMoreData => Current.HasMoreData;
        public int? ProcessId => Current.Pid;
        public int? ExitCode => Current.ExitCode;
        /// <summary>Why the job failed, when its exit code alone does not say.</summary>
        public string? StatusMessage => Current.Reason;
        public DateTime PSBeginTime => FromMs(_last.BeginTimeMs);
        public DateTime? PSEndTime => Current.EndTimeMs is long ms ? FromMs(ms) : null;
        /// <summary>True once Remove-RJob has removed the job from the engine.</summary>
        public bool IsRemoved { get; private set; }

        internal ulong EngineId => _last.Id;

        /// <summary>The latest snapshot; the last one known once the job is removed.</summary>
        public JobSnapshot Current
        {
            get
            {
                if (!IsRemoved)
                {
                    var s = Engine.Get(_last.Id);
                    // Ids are never reused within a process, so a missing id means removed.
                    if (s == null) IsRemoved = true; else _last = s;
                }
                return _last;
            }
        }

        public bool IsFinished => State is JobState.Completed or JobState.Failed or JobState.Stopped;

        public override string ToString() => $"RJob {Id} ({Name})";

        internal static JobState ParseState(string s) =>
            Enum.TryParse<JobState>(s, out var st) ? st : JobState.NotStarted;

        private static DateTime FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).LocalDateTime;
    }
}
