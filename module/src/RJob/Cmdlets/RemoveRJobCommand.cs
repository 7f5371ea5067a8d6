// Remove-RJob: forgets jobs, as Remove-Job does. A job that still runs is refused unless -Force,
// which kills its process tree first (and a queued job never starts). Jobs selected by -State,
// -Command or -Filter are removed whatever their state, as with Remove-Job.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;

namespace RJob.Commands
{
    [Cmdlet(VerbsCommon.Remove, "RJob", SupportsShouldProcess = true, DefaultParameterSetName = SessionIdParameterSet)]
    [OutputType(typeof(Job), ParameterSetName = new[] { JobParameterSet })]
    public sealed class RemoveRJobCommand : RJobCmdletBase, IDisposable
    {
        private readonly List<RJobJob> _toRemove = new();
        private readonly ManualResetEventSlim _stop = new();

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = JobParameterSet)]
        [ValidateNotNullOrEmpty]
        public Job[]? Job { get; set; }

        /// <summary>Removes jobs that still run, killing them first.</summary>
        [Parameter(ParameterSetName = InstanceIdParameterSet)]
        [Parameter(ParameterSetName = JobParameterSet)]
        [Parameter(ParameterSetName = NameParameterSet)]
        [Parameter(ParameterSetName = SessionIdParameterSet)]
        [Parameter(ParameterSetName = FilterParameterSet)]
        [Alias("F")]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            bool checkFinished = !Force && ParameterSetName is NameParameterSet or InstanceIdParameterSet or SessionIdParameterSet or JobParameterSet;
            var running = new List<RJobJob>();
            foreach (var job in SelectJobs(Job, recurse: ParameterSetName != NameParameterSet, removable: checkFinished))
            {
                if (Stopping) return;
                if (!ShouldProcess(JobErrors.Target(job), VerbsCommon.Remove)) continue;
                switch (job)
                {
                    case RJobJob r:
                        _toRemove.Add(r);
                        if (!r.IsFinished) running.Add(r);
                        break;
                    case RJobChildJob:
                        WriteError(JobErrors.CannotRemove(job));
                        break;
                    default:
                        RemoveOther(job);
                        break;
                }
            }
            // Killed now, all at once; removed in EndProcessing once they have ended.
            if (running.Count == 0) return;
            try
            {
                RJobJob.StopMany(running, force: true, -1);
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteError(JobErrors.FromEngine(e, running));
            }
        }

        protected override void EndProcessing()
        {
            foreach (var job in _toRemove)
            {
                while (!job.Finished.WaitOne(0))
                {
                    if (_stop.Wait(50)) return;
                }
                job.RemoveFromSession();
                job.Dispose();
            }
        }

        // A Start-Job job lives in this runspace's JobRepository; a job from another adapter can
        // only be removed by Remove-Job, which can reach its JobManager.
        private void RemoveOther(Job job)
        {
            if (JobRepository.GetJob(job.InstanceId) == null)
            {
                WriteError(JobErrors.CannotRemove(job));
                return;
            }
            if (!IsFinal(job.JobStateInfo.State)) job.StopJob();
            JobRepository.Remove(job);
            job.Dispose();
        }

        protected override void StopProcessing() => _stop.Set();

        public void Dispose() => _stop.Dispose();
    }
}
