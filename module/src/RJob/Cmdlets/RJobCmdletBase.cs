// The job selection every RJob cmdlet shares, declared once as PowerShell's JobCmdletBase does:
// -Name, -InstanceId, -Id, -State, -Command and -Filter, with their parameter sets. A cmdlet that
// lacks one (Stop-Job has no -Command) overrides it without [Parameter], which hides it.
//
// Selection, wildcard matching and validation happen here only. -Id, -Name and friends select
// among RJob jobs (and their child jobs); -Job, declared by each cmdlet, takes any job.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using RJob.Jobs;

namespace RJob.Commands
{
    public abstract class RJobCmdletBase : PSCmdlet
    {
        protected const string JobParameterSet = "JobParameterSet";
        protected const string InstanceIdParameterSet = "InstanceIdParameterSet";
        protected const string SessionIdParameterSet = "SessionIdParameterSet";
        protected const string NameParameterSet = "NameParameterSet";
        protected const string StateParameterSet = "StateParameterSet";
        protected const string CommandParameterSet = "CommandParameterSet";
        protected const string FilterParameterSet = "FilterParameterSet";

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = NameParameterSet)]
        [ValidateNotNullOrEmpty]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(JobNameCompleter))]
        public virtual string[]? Name { get; set; }

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = InstanceIdParameterSet)]
        [ValidateNotNullOrEmpty]
        public virtual Guid[]? InstanceId { get; set; }

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = SessionIdParameterSet)]
        [ValidateNotNullOrEmpty]
        [ValidateRange(1, int.MaxValue)]
        [ArgumentCompleter(typeof(JobIdCompleter))]
        public virtual int[]? Id { get; set; }

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = StateParameterSet)]
        public virtual JobState State { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = CommandParameterSet)]
        [ValidateNotNullOrEmpty]
        [SupportsWildcards]
        public virtual string[]? Command { get; set; }

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = FilterParameterSet)]
        [ValidateNotNullOrEmpty]
        public virtual Hashtable? Filter { get; set; }

        /// <summary>The jobs the parameters select, in the order given (id order for the
        /// others). A literal id, name or instance id that matches nothing is a non-terminating
        /// "not found" error, as with the built-ins; a wildcard that matches nothing is silent.</summary>
        /// <param name="given">-Job's value, for the JobParameterSet.</param>
        /// <param name="recurse">Also look among child jobs (by id, name, instance id).</param>
        /// <param name="removable">Refuse, with an error each, jobs that have not finished.</param>
        protected List<Job> SelectJobs(Job[]? given, bool recurse, bool removable = false)
        {
            var found = new List<Job>();
            switch (ParameterSetName)
            {
                case NameParameterSet:
                    SelectByName(found, recurse);
                    break;
                case InstanceIdParameterSet:
                    foreach (var id in InstanceId ?? Array.Empty<Guid>())
                    {
                        if (JobTable.ByInstanceId(id, recurse) is Job job) found.Add(job);
                        else WriteError(JobErrors.NotFoundByInstanceId(id));
                    }
                    break;
                case SessionIdParameterSet:
                    if (Id == null)
                    {
                        found.AddRange(JobTable.Jobs());
                        break;
                    }
                    foreach (var id in Id)
                    {
                        if (JobTable.ById(id, recurse) is Job job) found.Add(job);
                        else WriteError(JobErrors.NotFoundById(id));
                    }
                    break;
                case StateParameterSet:
                    found.AddRange(JobTable.Jobs().FindAll(j => j.JobStateInfo.State == State));
                    break;
                case CommandParameterSet:
                    foreach (var job in JobTable.Jobs())
                    {
                        if (Array.Exists(Command ?? Array.Empty<string>(), c => JobMatch.Command(job, c, JobMatch.Pattern(c)))) found.Add(job);
                    }
                    break;
                case FilterParameterSet:
                    found.AddRange(JobTable.Jobs().FindAll(j => JobMatch.Filter(j, Filter!)));
                    break;
                default:
                    foreach (var job in given ?? Array.Empty<Job>())
                    {
                        if (job != null) found.Add(job);
                    }
                    break;
            }
            if (removable) found.RemoveAll(NotRemovable);
            return found;
        }

        private void SelectByName(List<Job> found, bool recurse)
        {
            var seen = new HashSet<Job>();
            foreach (var name in Name ?? Array.Empty<string>())
            {
                var pattern = JobMatch.Pattern(name);
                bool any = false;
                foreach (var job in JobTable.Jobs())
                {
                    if (pattern.IsMatch(job.Name)) { any = true; if (seen.Add(job)) found.Add(job); }
                    if (recurse && pattern.IsMatch(job.Child.Name)) { any = true; if (seen.Add(job.Child)) found.Add(job.Child); }
                }
                if (!any && !WildcardPattern.ContainsWildcardCharacters(name)) WriteError(JobErrors.NotFoundByName(name));
            }
        }

        private bool NotRemovable(Job job)
        {
            if (IsFinal(job.JobStateInfo.State)) return false;
            string parameter = ParameterSetName switch
            {
                NameParameterSet => "Name",
                InstanceIdParameterSet => "InstanceId",
                JobParameterSet => "Job",
                _ => "Id",
            };
            WriteError(JobErrors.NotFinished(job, parameter));
            return true;
        }

        internal static bool IsFinal(JobState state) => RJobJob.IsFinal(state);

        /// <summary>Finished, or waiting for a person (Suspended, Disconnected): what Wait-Job
        /// and Receive-Job -Wait wait for without -Force.</summary>
        internal static bool IsPersistent(JobState state) => IsFinal(state) || state is JobState.Suspended or JobState.Disconnected;

        /// <summary>Job, then its children (recursively), each once: children first, as
        /// Receive-Job writes them.</summary>
        internal static List<Job> ChildrenFirst(Job job)
        {
            var list = new List<Job>();
            var seen = new HashSet<Job>();
            void Visit(Job j)
            {
                if (!seen.Add(j)) return;
                foreach (var c in j.ChildJobs) Visit(c);
                list.Add(j);
            }
            Visit(job);
            return list;
        }
    }
}
