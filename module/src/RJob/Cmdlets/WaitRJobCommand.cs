// Wait-RJob: waits until jobs have ended (or, with -Any, one has), as Wait-Job does, and writes
// them. Any job can be waited for; waits run in short slices so Ctrl+C stops them at once.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;

namespace RJob.Commands
{
    [Cmdlet(VerbsLifecycle.Wait, "RJob", DefaultParameterSetName = SessionIdParameterSet)]
    [OutputType(typeof(Job))]
    public sealed class WaitRJobCommand : RJobCmdletBase, IDisposable
    {
        private readonly List<Job> _jobs = new();
        private readonly AutoResetEvent _changed = new(false);
        private readonly ManualResetEventSlim _stop = new();

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = JobParameterSet)]
        [ValidateNotNullOrEmpty]
        public Job[]? Job { get; set; }

        [Parameter]
        public SwitchParameter Any { get; set; }

        /// <summary>Seconds; -1 (the default) waits as long as it takes.</summary>
        [Parameter]
        [Alias("TimeoutSec")]
        [ValidateRange(-1, int.MaxValue)]
        public int Timeout { get; set; } = -1;

        /// <summary>Waits past Suspended and Disconnected, until the jobs have finished.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Wait-Job has no -Command.</summary>
        public override string[]? Command { get => null; set { } }

        protected override void ProcessRecord() => _jobs.AddRange(SelectJobs(Job, recurse: true));

        protected override void EndProcessing()
        {
            if (_jobs.Count == 0) return;
            long deadline = Timeout < 0 ? long.MaxValue : Environment.TickCount64 + Timeout * 1000L;
            foreach (var job in _jobs) job.StateChanged += OnStateChanged;
            try
            {
                while (true)
                {
                    var done = _jobs.FindAll(Done);
                    if (Any ? done.Count > 0 : done.Count == _jobs.Count)
                    {
                        if (Any) WriteObject(done[0]);
                        else WriteObject(done, enumerateCollection: true);
                        return;
                    }
                    long left = deadline - Environment.TickCount64;
                    if (left <= 0) return;
                    WaitHandle.WaitAny(new[] { _changed, _stop.WaitHandle }, (int)Math.Min(left, 250));
                    if (_stop.IsSet) return;
                }
            }
            finally
            {
                foreach (var job in _jobs) job.StateChanged -= OnStateChanged;
            }
        }

        private bool Done(Job job) => Force ? IsFinal(job.JobStateInfo.State) : IsPersistent(job.JobStateInfo.State);

        private void OnStateChanged(object? sender, JobStateEventArgs e) => _changed.Set();

        protected override void StopProcessing() => _stop.Set();

        public void Dispose()
        {
            _changed.Dispose();
            _stop.Dispose();
        }
    }
}
