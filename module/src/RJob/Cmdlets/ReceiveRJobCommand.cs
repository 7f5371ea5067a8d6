// Receive-RJob: writes what jobs produced, as Receive-Job does and in the same order: a job's
// child jobs first, then the job; each job's streams in Receive-Job's order (output, errors,
// verbose, debug, warnings, progress, information); then the reason of a failed job as an error.
// It reads RJob jobs through the same stream collections Receive-Job reads, so the two never
// disagree about what is left; unlike Receive-Job it goes on pulling from the engine until the
// output available now is all written, in bounded batches, however much a job wrote.
// With -Wait it writes items as they arrive, in arrival order, until the jobs end.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using RJob.Jobs;
using RJob.Records;

namespace RJob.Commands
{
    [Cmdlet(VerbsCommunications.Receive, "RJob", DefaultParameterSetName = LocationParameterSet)]
    public sealed class ReceiveRJobCommand : RJobCmdletBase, IDisposable
    {
        private const string LocationParameterSet = "Location";
        /// <summary>How long one engine read waits for output while a job runs (-Wait).</summary>
        private const int WaitSliceMs = 50;

        private readonly ManualResetEventSlim _stop = new();

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LocationParameterSet)]
        [ValidateNotNullOrEmpty]
        public Job[]? Job { get; set; }

        /// <summary>Only the child jobs at these locations (for RJob jobs: localhost).</summary>
        [Parameter(Position = 1, ParameterSetName = LocationParameterSet)]
        [ValidateNotNullOrEmpty]
        public string[]? Location { get; set; }

        [Parameter]
        public SwitchParameter Keep { get; set; }

        [Parameter]
        public SwitchParameter NoRecurse { get; set; }

        [Parameter]
        public SwitchParameter Force { get; set; }

        [Parameter]
        public SwitchParameter Wait { get; set; }

        [Parameter]
        public SwitchParameter AutoRemoveJob { get; set; }

        [Parameter]
        public SwitchParameter WriteEvents { get; set; }

        [Parameter]
        public SwitchParameter WriteJobInResults { get; set; }

        /// <summary>Receive-Job has no -State, -Filter or -Command.</summary>
        public override JobState State { get => JobState.NotStarted; set { } }

        public override Hashtable? Filter { get => null; set { } }

        public override string[]? Command { get => null; set { } }

        protected override void BeginProcessing()
        {
            if (Wait && Keep) Refuse("The Wait and Keep parameters cannot be used together in the same command.", "BlockCannotBeUsedWithKeep");
            if (Wait) return;
            // Switches that only mean something with -Wait: Receive-Job's messages and ErrorIds.
            var waitOnly = new (bool Given, string Message, string ErrorId)[]
            {
                (AutoRemoveJob, "The -AutoRemoveJob parameter cannot be used without the -Wait parameter", "AutoRemoveCannotBeUsedWithoutWait"),
                (WriteEvents, "The WriteEvents parameter cannot be used without the Wait parameter.", "WriteEventsCannotBeUsedWithoutWait"),
                (WriteJobInResults, "The -WriteJobInResults parameter cannot be used without the -Wait parameter", "WriteJobInResultsCannotBeUsedWithoutWait"),
                (Force, "The -Force parameter cannot be used without the -Wait parameter.", "ForceCannotBeUsedWithoutWait"),
            };
            foreach (var (given, message, errorId) in waitOnly)
            {
                if (given) Refuse(message, errorId);
            }
        }

        private void Refuse(string message, string errorId) => ThrowTerminatingError(JobErrors.Usage(message, errorId));

        protected override void ProcessRecord()
        {
            List<Job> jobs;
            bool recurse = !NoRecurse;
            if (ParameterSetName == LocationParameterSet && Location != null)
            {
                jobs = AtLocations(Job!);
                recurse = false;
            }
            else
            {
                jobs = SelectJobs(Job, recurse: true);
            }
            if (WriteJobInResults) WriteObject(jobs, enumerateCollection: true);
            foreach (var job in jobs)
            {
                foreach (var j in recurse ? ChildrenFirst(job) : new List<Job> { job })
                {
                    if (_stop.IsSet) return;
                    if (Wait) ReceiveUntilEnd(j);
                    else WriteAvailable(j);
                    WriteReason(j);
                    if (Wait && WriteEvents && IsPersistent(j.JobStateInfo.State)) WriteEvent(j);
                }
                if (AutoRemoveJob && IsFinal(job.JobStateInfo.State)) Remove(job);
            }
        }

        private List<Job> AtLocations(Job[] jobs)
        {
            var found = new List<Job>();
            foreach (var job in jobs)
            {
                foreach (var location in Location!)
                {
                    foreach (var child in job.ChildJobs)
                    {
                        if (string.Equals(child.Location, location, StringComparison.OrdinalIgnoreCase)) found.Add(child);
                    }
                }
            }
            return found;
        }

        // ---- Without -Wait: what is there now ----

        private void WriteAvailable(Job job)
        {
            if (job is not RJobChildJob child)
            {
                WriteStreams(job);
                return;
            }
            // Pulled and written in bounded rounds until the engine has nothing more right now.
            do
            {
                OutputPump.Fill(child, 0);
            }
            while (WriteStreams(job) > 0 && !Keep && !_stop.IsSet);
        }

        // Each stream in Receive-Job's order; returns how many items were written.
        private int WriteStreams(Job job)
        {
            var streams = new (StreamKind Kind, IList Items)[]
            {
                (StreamKind.Output, job.Output), (StreamKind.Error, job.Error), (StreamKind.Verbose, job.Verbose),
                (StreamKind.Debug, job.Debug), (StreamKind.Warning, job.Warning), (StreamKind.Progress, job.Progress),
                (StreamKind.Information, job.Information),
            };
            int n = 0;
            foreach (var (kind, items) in streams) n += WriteAll(kind, items);
            return n;
        }

        private int WriteAll(StreamKind kind, IList collection)
        {
            var items = StreamBuffers.Take(collection, Keep);
            foreach (var item in items) Write(kind, item);
            return items.Count;
        }

        // ---- With -Wait: as it comes, until the job ends ----

        private void ReceiveUntilEnd(Job job)
        {
            if (job is RJobChildJob child)
            {
                ReceiveChild(child);
                return;
            }
            while (!_stop.IsSet)
            {
                bool ended = Ended(job);
                WriteStreams(job);
                if (ended) return;
                if (job is RJobJob r) r.Finished.WaitOne(WaitSliceMs);
                else WaitHandle.WaitAny(new[] { job.Finished, _stop.WaitHandle }, WaitSliceMs);
            }
        }

        /// <summary>Raw bytes one pass takes straight from the engine before writing them.</summary>
        private const int DirectBytes = 256 << 10;

        private readonly ItemBatch _batch = new();

        private void ReceiveChild(RJobChildJob child)
        {
            Interlocked.Increment(ref child.DirectReaders);
            try
            {
                while (!_stop.IsSet)
                {
                    bool ended = Ended(child);
                    // What the streams hold is older than what the engine holds: it goes first,
                    // and only once they are empty does Drain read past them.
                    _batch.Clear();
                    child.Buffers.TakeAll(_batch);
                    long moved = 0;
                    if (_batch.Count == 0) moved = OutputPump.Drain(child, _batch, ended ? 0 : WaitSliceMs, DirectBytes);
                    foreach (var (kind, item) in _batch)
                    {
                        Write(kind, item);
                        if (_stop.IsSet) return;
                    }
                    if (ended && child.EngineDone && child.Buffers.IsEmpty) return;
                    // Nothing to read and nothing to wait on in the engine (not started yet): pause.
                    if (moved == 0 && _batch.Count == 0 && child.Parent.EngineId == 0) _stop.Wait(WaitSliceMs);
                }
            }
            finally
            {
                _batch.Clear();
                Interlocked.Decrement(ref child.DirectReaders);
            }
        }

        private bool Ended(Job job) => Force ? IsFinal(job.JobStateInfo.State) : IsPersistent(job.JobStateInfo.State);

        // ---- Writing ----

        private void Write(StreamKind kind, object? item)
        {
            switch (item)
            {
                case null:
                    return;
                case ErrorRecord error:
                    // Keeps the job's own script position, as Receive-Job does.
                    SmaInternals.PreserveInvocationInfo(error);
                    WriteError(error);
                    return;
                case WarningRecord warning:
                    WriteWarning(warning.Message);
                    return;
                case VerboseRecord verbose:
                    WriteVerbose(verbose.Message);
                    return;
                case DebugRecord debug:
                    WriteDebug(debug.Message);
                    return;
                case ProgressRecord progress:
                    WriteProgress(progress);
                    return;
                case InformationRecord information:
                    WriteInformation(information);
                    return;
                default:
                    if (kind == StreamKind.Output) WriteObject(item);
                    return;
            }
        }

        /// <summary>A failed job's reason, as one error: a script job's own terminating error
        /// whole, else the reason wrapped as Receive-Job wraps it.</summary>
        private void WriteReason(Job job)
        {
            if (job.JobStateInfo.State != JobState.Failed) return;
            if (job is RJobJob { TerminatingError: ErrorRecord thrown })
            {
                SmaInternals.PreserveInvocationInfo(thrown);
                WriteError(thrown);
                return;
            }
            if (job.JobStateInfo.Reason is not Exception reason) return;
            if (reason is JobFailedException { Reason: Exception inner }) reason = inner;
            WriteError(new ErrorRecord(reason, "JobStateFailed", ErrorCategory.InvalidResult, null));
        }

        private void WriteEvent(Job job)
        {
            var args = new PSObject(new JobStateEventArgs(job.JobStateInfo));
            args.Properties.Add(new PSNoteProperty("PSEventObject", true));
            WriteObject(args);
        }

        private void Remove(Job job)
        {
            switch (job)
            {
                case RJobJob r:
                    r.RemoveFromSession();
                    r.Dispose();
                    break;
                default:
                    if (JobRepository.GetJob(job.InstanceId) != null)
                    {
                        JobRepository.Remove(job);
                        job.Dispose();
                    }
                    break;
            }
        }

        protected override void StopProcessing() => _stop.Set();

        public void Dispose() => _stop.Dispose();
    }
}
