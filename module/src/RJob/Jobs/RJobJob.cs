// The object Start-RJob and Get-RJob return. Like a built-in job it is live: State and
// HasMoreData are read from the engine (a typed call, no JSON) each time, until the job is removed.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Text;
using RJob.Interop;

namespace RJob
{
    public sealed class RJobJob
    {
        private readonly JobInfo _info;
        private JobStatus _last;
        private string? _reason;

        public RJobJob(JobInfo info)
        {
            _info = info;
            _reason = info.Reason;
            _last = new JobStatus(info.State, info.Pid, info.ExitCode, info.Signal, info.HasMoreData, info.EndTimeMs);
        }

        /// <summary>Starts a job from the cmdlet's arguments and returns its object.</summary>
        public static RJobJob Start(string[] argv, string? name, string? command, string kind, string? cwd,
                                    IDictionary? environment, string? stdin, double? graceSeconds)
        {
            var spec = new StartSpec
            {
                Argv = argv, Name = name, Command = command, Kind = kind, Cwd = cwd,
                Stdin = stdin == null ? null : Encoding.UTF8.GetBytes(stdin),
                GraceMs = graceSeconds is double g ? (long)Math.Round(g * 1000) : null,
            };
            if (environment != null)
            {
                var env = new Dictionary<string, string>();
                foreach (DictionaryEntry e in environment) env[e.Key.ToString()!] = e.Value?.ToString() ?? "";
                spec.Env = env;
            }
            ulong id = Engine.Start(spec);
            return new RJobJob(Engine.Info(id) ?? throw new RJobException(RJobStatus.NotFound, $"job {id} vanished"));
        }

        /// <summary>The jobs matching every selector given: names as PowerShell wildcards
        /// (case-insensitive, as Get-Job -Name), instance ids as GUIDs; ids and states by the engine.</summary>
        public static RJobJob[] Select(ulong[]? ids, string[]? names, JobState[]? states, Guid[]? instanceIds)
        {
            var patterns = names == null ? null : Array.ConvertAll(names, n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase));
            var found = new List<RJobJob>();
            foreach (var info in Engine.List(ids, states))
            {
                if (patterns != null && !Array.Exists(patterns, p => p.IsMatch(info.Name))) continue;
                if (instanceIds != null && !Array.Exists(instanceIds, g => Guid.TryParse(info.InstanceId, out var mine) && mine == g)) continue;
                found.Add(new RJobJob(info));
            }
            return found.ToArray();
        }

        /// <summary>The engine's id: sequential from 1 in this pwsh.</summary>
        public int Id => (int)_info.Id;
        public Guid InstanceId => Guid.Parse(_info.InstanceId);
        public string Name => _info.Name;
        public string Command => _info.Command;
        /// <summary>"Script" (a script block in a child pwsh) or "Native" (an executable).</summary>
        public string Kind => _info.Kind;
        public string PSJobTypeName => "RJob." + _info.Kind;
        public string Location => _info.Location;
        public JobState State => Current.State;
        public bool HasMoreData => Current.HasMoreData;
        public int? ProcessId => Current.Pid;
        public int? ExitCode => Current.ExitCode;
        /// <summary>Why the job failed, when its exit code alone does not say.</summary>
        public string? StatusMessage
        {
            get
            {
                if (!IsRemoved)
                {
                    var info = Engine.Info(_info.Id);
                    if (info == null) IsRemoved = true; else _reason = info.Reason;
                }
                return _reason;
            }
        }
        public DateTime PSBeginTime => FromMs(_info.BeginTimeMs);
        public DateTime? PSEndTime => Current.EndTimeMs is long ms ? FromMs(ms) : null;
        /// <summary>True once Remove-RJob has removed the job from the engine.</summary>
        public bool IsRemoved { get; private set; }

        internal ulong EngineId => _info.Id;

        /// <summary>Pieces of long lines received so far but not yet whole, kept with the job so the
        /// next Receive-RJob completes them.</summary>
        internal LineJoiner Pending { get; } = new();

        /// <summary>The latest state; the last one known once the job is removed.</summary>
        public JobStatus Current
        {
            get
            {
                if (!IsRemoved)
                {
                    // Ids are never reused within a process, so a missing id means removed.
                    if (Engine.Status(_info.Id) is JobStatus s) _last = s; else IsRemoved = true;
                }
                return _last;
            }
        }

        public bool IsFinished => State is JobState.Completed or JobState.Failed or JobState.Stopped;

        public override string ToString() => $"RJob {Id} ({Name})";

        private static DateTime FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).LocalDateTime;
    }
}
