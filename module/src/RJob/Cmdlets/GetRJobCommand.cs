// Get-RJob: this session's RJob jobs, in id order, with Get-Job's parameters.
using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace RJob.Commands
{
    [Cmdlet(VerbsCommon.Get, "RJob", DefaultParameterSetName = SessionIdParameterSet)]
    [OutputType(typeof(RJobJob))]
    public sealed class GetRJobCommand : RJobCmdletBase
    {
        /// <summary>Optional here: Get-RJob alone lists every job.</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = SessionIdParameterSet)]
        [ValidateNotNullOrEmpty]
        [ValidateRange(1, int.MaxValue)]
        [ArgumentCompleter(typeof(JobIdCompleter))]
        public override int[]? Id { get; set; }

        [Parameter(ParameterSetName = SessionIdParameterSet)]
        [Parameter(ParameterSetName = InstanceIdParameterSet)]
        [Parameter(ParameterSetName = NameParameterSet)]
        [Parameter(ParameterSetName = StateParameterSet)]
        [Parameter(ParameterSetName = CommandParameterSet)]
        public SwitchParameter IncludeChildJob { get; set; }

        [Parameter(ParameterSetName = SessionIdParameterSet)]
        [Parameter(ParameterSetName = InstanceIdParameterSet)]
        [Parameter(ParameterSetName = NameParameterSet)]
        [Parameter(ParameterSetName = StateParameterSet)]
        [Parameter(ParameterSetName = CommandParameterSet)]
        public JobState ChildJobState { get; set; }

        [Parameter(ParameterSetName = SessionIdParameterSet)]
        [Parameter(ParameterSetName = InstanceIdParameterSet)]
        [Parameter(ParameterSetName = NameParameterSet)]
        [Parameter(ParameterSetName = StateParameterSet)]
        [Parameter(ParameterSetName = CommandParameterSet)]
        public bool HasMoreData { get; set; }

        [Parameter(ParameterSetName = SessionIdParameterSet)]
        [Parameter(ParameterSetName = InstanceIdParameterSet)]
        [Parameter(ParameterSetName = NameParameterSet)]
        [Parameter(ParameterSetName = StateParameterSet)]
        [Parameter(ParameterSetName = CommandParameterSet)]
        public DateTime Before { get; set; }

        [Parameter(ParameterSetName = SessionIdParameterSet)]
        [Parameter(ParameterSetName = InstanceIdParameterSet)]
        [Parameter(ParameterSetName = NameParameterSet)]
        [Parameter(ParameterSetName = StateParameterSet)]
        [Parameter(ParameterSetName = CommandParameterSet)]
        public DateTime After { get; set; }

        [Parameter(ParameterSetName = SessionIdParameterSet)]
        [Parameter(ParameterSetName = InstanceIdParameterSet)]
        [Parameter(ParameterSetName = NameParameterSet)]
        [Parameter(ParameterSetName = StateParameterSet)]
        [Parameter(ParameterSetName = CommandParameterSet)]
        public int Newest { get; set; }

        protected override void ProcessRecord()
        {
            var jobs = SelectJobs(null, recurse: true);
            jobs.AddRange(ChildJobs(jobs));
            if (Bound(nameof(HasMoreData))) jobs = jobs.FindAll(j => j.HasMoreData == HasMoreData);
            jobs = ByEndTime(jobs);
            jobs.Sort((x, y) => x.Id.CompareTo(y.Id));
            WriteObject(jobs, enumerateCollection: true);
        }

        private bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);

        // -IncludeChildJob adds every child; -ChildJobState only those in that state.
        private List<Job> ChildJobs(List<Job> jobs)
        {
            var children = new List<Job>();
            bool byState = Bound(nameof(ChildJobState));
            if (!byState && !Bound(nameof(IncludeChildJob))) return children;
            foreach (var job in jobs)
            {
                foreach (var child in job.ChildJobs)
                {
                    if (!byState || child.JobStateInfo.State == ChildJobState) children.Add(child);
                }
            }
            return children;
        }

        // -Before/-After compare the end time (jobs still running have none); -Newest keeps the
        // jobs that ended last.
        private List<Job> ByEndTime(List<Job> jobs)
        {
            bool before = Bound(nameof(Before)), after = Bound(nameof(After)), newest = Bound(nameof(Newest));
            if (before || after)
            {
                jobs = jobs.FindAll(j => j.PSEndTime is DateTime end &&
                    (!before || end < Before) && (!after || end > After));
            }
            if (newest)
            {
                jobs.Sort((x, y) => Nullable.Compare(y.PSEndTime, x.PSEndTime));
                if (jobs.Count > Newest) jobs = jobs.GetRange(0, Math.Max(Newest, 0));
            }
            return jobs;
        }
    }
}
