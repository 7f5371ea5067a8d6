// Stop-RJob: stops jobs, as Stop-Job does, and waits until they have ended. RJob jobs get a
// graceful stop of their whole process tree: SIGTERM, then SIGKILL after the grace period, all
// jobs signalled at once so one grace period covers many; -Force kills at once. Any other job
// (-Job takes every kind) is stopped the way Stop-Job stops it.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;

namespace RJob.Commands
{
    [Cmdlet(VerbsLifecycle.Stop, "RJob", SupportsShouldProcess = true, DefaultParameterSetName = SessionIdParameterSet)]
    [OutputType(typeof(Job))]
    public sealed class StopRJobCommand : RJobCmdletBase, IDisposable
    {
        private readonly List<Job> _all = new();
        private readonly List<Job> _stopping = new();
        private readonly List<RJobJob> _rjobs = new();
        private readonly ManualResetEventSlim _stop = new();

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = JobParameterSet)]
        [ValidateNotNullOrEmpty]
        public Job[]? Job { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>Kills at once (SIGKILL), with no grace period.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Seconds between SIGTERM and SIGKILL, instead of each job's own.</summary>
        [Parameter]
        [ValidateRange(0, 86400)]
        public double GraceSeconds { get; set; } = -1;

        /// <summary>Stop-Job has no -Command.</summary>
        public override string[]? Command { get => null; set { } }

        protected override void ProcessRecord()
        {
            var jobs = SelectJobs(Job, recurse: true);
            _all.AddRange(jobs);
            foreach (var job in jobs)
            {
                if (Stopping) return;
                if (IsFinal(job.JobStateInfo.State) || !ShouldProcess(JobErrors.Target(job), VerbsLifecycle.Stop)) continue;
                _stopping.Add(job);
                switch (job)
                {
                    case RJobJob r: _rjobs.Add(r); break;
                    case RJobChildJob c: _rjobs.Add(c.Parent); break;
                    case Job2 other: other.StopJobAsync(); break;
                    default: job.StopJob(); break;
                }
            }
        }

        protected override void EndProcessing()
        {
            // Every RJob job signalled at once, in one engine call: one grace period for all.
            if (_rjobs.Count > 0)
            {
                long graceMs = GraceSeconds < 0 ? -1 : (long)Math.Round(GraceSeconds * 1000);
                try
                {
                    RJobJob.StopMany(_rjobs, Force, graceMs);
                }
                catch (Exception e) when (e is not PipelineStoppedException)
                {
                    WriteError(JobErrors.FromEngine(e, _rjobs));
                }
            }
            // In short slices, so Ctrl+C is noticed at once.
            foreach (var job in _stopping)
            {
                while (!job.Finished.WaitOne(0))
                {
                    if (_stop.Wait(50)) return;
                }
            }
            if (PassThru) WriteObject(_all, enumerateCollection: true);
        }

        protected override void StopProcessing() => _stop.Set();

        public void Dispose() => _stop.Dispose();
    }
}
