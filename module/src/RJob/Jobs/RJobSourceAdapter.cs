// Joins RJob jobs to PowerShell's job system, as ThreadJob does: Import-Module registers this
// adapter with the runspace's JobManager, through which Get-Job, Wait-Job, Receive-Job, Stop-Job
// and Remove-Job find RJob jobs.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using RJob.Jobs;

namespace RJob
{
    public sealed class RJobSourceAdapter : JobSourceAdapter
    {
        internal const string NewJobKey = "NewJob";

        public RJobSourceAdapter()
        {
            Name = nameof(RJobSourceAdapter);
        }

        /// <summary>Adds the job Start-RJob made (passed under "NewJob") to the table.</summary>
        public override Job2 NewJob(JobInvocationInfo specification)
        {
            if (specification?.Parameters.Count > 0 && specification.Parameters[0].Count > 0 &&
                specification.Parameters[0][0].Value is RJobJob job)
            {
                JobTable.Add(job);
                return job;
            }
            throw new PSArgumentException("RJob jobs are started with Start-RJob.");
        }

        public override IList<Job2> GetJobs() => JobTable.Jobs().ConvertAll(j => (Job2)j);

        public override IList<Job2> GetJobsByName(string name, bool recurse)
        {
            var pattern = JobMatch.Pattern(name);
            return JobTable.Jobs().FindAll(j => pattern.IsMatch(j.Name)).ConvertAll(j => (Job2)j);
        }

        public override IList<Job2> GetJobsByCommand(string command, bool recurse)
        {
            var pattern = JobMatch.Pattern(command);
            return JobTable.Jobs().FindAll(j => JobMatch.Command(j, command, pattern)).ConvertAll(j => (Job2)j);
        }

        public override Job2? GetJobByInstanceId(Guid instanceId, bool recurse) => JobTable.ByInstanceId(instanceId, false) as RJobJob;

        public override Job2? GetJobBySessionId(int id, bool recurse) => JobTable.ById(id, false) as RJobJob;

        public override IList<Job2> GetJobsByState(JobState state, bool recurse) =>
            JobTable.Jobs().FindAll(j => j.JobStateInfo.State == state).ConvertAll(j => (Job2)j);

        /// <summary>Not supported through Get-Job, as for thread jobs (Get-Job then warns);
        /// Get-RJob -Filter filters RJob jobs.</summary>
        public override IList<Job2> GetJobsByFilter(Dictionary<string, object> filter, bool recurse) =>
            throw new PSNotSupportedException("Get-Job -Filter does not apply to RJob jobs; use Get-RJob -Filter.");

        /// <summary>Remove-Job: the job is stopped first if it still runs (Remove-Job -Force).</summary>
        public override void RemoveJob(Job2 job)
        {
            if (job is RJobJob rjob) rjob.RemoveFromSession();
        }

        public override void PersistJob(Job2 job)
        {
        }
    }
}
