// The error records of the RJob cmdlets, shaped like the built-in job cmdlets' (same ErrorIds,
// categories, messages and targets), so scripts that handle Stop-Job's errors handle these.
using System;
using System.Management.Automation;
using RJob.Interop;

namespace RJob.Commands
{
    internal static class JobErrors
    {
        internal static ErrorRecord NotFoundById(int id) => new(
            new PSArgumentException($"The command cannot find a job with the job ID {id}. Verify the value of the Id parameter and then try the command again.", "Id"),
            "JobWithSpecifiedSessionNotFound", ErrorCategory.ObjectNotFound, id);

        internal static ErrorRecord NotFoundByName(string name) => new(
            new PSArgumentException($"The command cannot find the job because the job name {name} was not found. Verify the value of the Name parameter, and then try the command again.", "Name"),
            "JobWithSpecifiedNameNotFound", ErrorCategory.ObjectNotFound, name);

        internal static ErrorRecord NotFoundByInstanceId(Guid id) => new(
            new PSArgumentException($"The command cannot find a job with the instance identifier {id}. Verify the value of the InstanceId parameter, and then try the command again.", "InstanceId"),
            "JobWithSpecifiedInstanceIdNotFound", ErrorCategory.ObjectNotFound, id);

        /// <summary>Remove without -Force on a job that still runs; the text names what selected it.</summary>
        internal static ErrorRecord NotFinished(Job job, string parameter)
        {
            string which = parameter switch
            {
                "Name" => $"the job ID {job.Id} and the name {job.Name}",
                "InstanceId" => $"the job ID {job.Id} and the instance identifier {job.InstanceId}",
                _ => $"the job ID {job.Id}",
            };
            return new ErrorRecord(
                new ArgumentException($"The command cannot remove the job with {which} because the job is not finished. To remove the job, first stop the job, or use the Force parameter.", parameter),
                "JobObjectNotFinishedCannotBeRemoved", ErrorCategory.InvalidOperation, job);
        }

        internal static ErrorRecord CannotRemove(Job job) => new(
            new ArgumentException("The command cannot remove the job because it does not exist or because it is a child job. Child jobs can be removed only by removing the parent job."),
            "CannotRemoveJob", ErrorCategory.InvalidOperation, job);

        /// <summary>A parameter combination the built-ins refuse too (Receive-Job -Keep -Wait...).</summary>
        internal static ErrorRecord Usage(string message, string errorId) =>
            new(new PSInvalidOperationException(message), errorId, ErrorCategory.InvalidOperation, null);

        /// <summary>An engine failure: its status picks the ErrorId and the category.</summary>
        internal static ErrorRecord FromEngine(Exception e, object? target)
        {
            if (e is not RJobException r) return new ErrorRecord(e, "RJobError", ErrorCategory.NotSpecified, target);
            var category = r.Status switch
            {
                RJobStatus.NotFound => ErrorCategory.ObjectNotFound,
                RJobStatus.JobActive or RJobStatus.SpawnFailed => ErrorCategory.InvalidOperation,
                RJobStatus.Timeout => ErrorCategory.OperationTimeout,
                RJobStatus.InvalidArgument or RJobStatus.InvalidJson or RJobStatus.InvalidUtf8 or RJobStatus.NullPointer => ErrorCategory.InvalidArgument,
                _ => ErrorCategory.NotSpecified,
            };
            return new ErrorRecord(r, "RJob" + r.Status, category, target);
        }

        /// <summary>The -WhatIf / -Confirm target of a job.</summary>
        internal static string Target(Job job) => $"Id: {job.Id}, Name: {job.Name}, Command: {job.Command}";
    }
}
