// The job Start-RJob returns: a PowerShell Job2, so Get-Job, Wait-Job, Receive-Job, Stop-Job and
// Remove-Job work on it, with an id from PowerShell's one id space. Like a Start-Job job it has
// one child job, which holds the output streams.
//
// Its state is pushed, never polled: the session's monitor thread (Jobs/JobMonitor.cs) reads the
// engine's change feed and calls OnEngineState, which settles the end and raises StateChanged.
using System;
using System.ComponentModel;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Threading;
using RJob.Interop;
using RJob.Jobs;

namespace RJob
{
    public sealed class RJobJob : Job2
    {
        // Orders state changes: launch, stop, and the end reported by the monitor.
        private readonly object _transition = new();
        private LaunchPlan? _plan;
        private string _statusMessage = "";
        private int _stopPending;

        internal RJobJob(string command, string? name, LaunchPlan plan) : base(command, name)
        {
            _plan = plan;
            Kind = plan.Kind;
            Location = plan.Spec.Remote?.Host ?? "localhost";
            PSJobTypeName = "RJob." + plan.Kind;
            Child = new RJobChildJob(this, command, plan);
            ChildJobs.Add(Child);
        }

        /// <summary>"Script" (a script block in a child pwsh) or "Native" (an executable).</summary>
        public string Kind { get; }

        /// <summary>The job's main process. Its start goes on after Start-RJob returns: a read
        /// before the engine has word of the process waits for it (about a millisecond).</summary>
        public int? ProcessId => _processId ?? (EngineId == 0 ? null : AwaitProcessId());

        private int? _processId;
        // Set by the monitor whenever the engine reports a change of the job (its start among them).
        private readonly ManualResetEventSlim _news = new();
        // A read of ProcessId waits no longer than this for a start under way.
        private const int ProcessIdWaitMs = 10_000;

        private int? AwaitProcessId()
        {
            long deadline = Environment.TickCount64 + ProcessIdWaitMs;
            while (true)
            {
                // Reset before reading: news that comes after the read is then not lost.
                _news.Reset();
                // Once the end is settled, its pid is the answer (the engine's record may be gone).
                if (_processId != null || IsFinished) return _processId;
                JobStatus? status;
                try { status = Engine.Status(EngineId); }
                catch (RJobException) { return _processId; }
                if (status?.Pid is int pid)
                {
                    lock (_transition) return _processId ??= pid;
                }
                if (status is not JobStatus st || IsFinal(st.State)) return null;
                long left = deadline - Environment.TickCount64;
                if (left <= 0 || !_news.Wait((int)left)) return null;
            }
        }

        /// <summary>The main process's exit code, once it has ended.</summary>
        public int? ExitCode { get; private set; }

        /// <summary>The signal that ended the main process, if one did.</summary>
        public int? Signal { get; private set; }

        /// <summary>Why the job ended as it did, when its exit code alone does not say (the engine's words).</summary>
        /// While the job runs it is the engine's live word (output paused on a full spool, say).
        public override string StatusMessage => IsFinished || EngineId == 0 ? _statusMessage : LiveReason();

        private string LiveReason()
        {
            try { return Engine.Reason(EngineId) ?? _statusMessage; }
            catch (RJobException) { return _statusMessage; }
        }

        public override bool HasMoreData => Child.HasMoreData;

        public override string Location { get; }

        /// <summary>True once the job is Completed, Failed or Stopped.</summary>
        public bool IsFinished => IsFinal(JobStateInfo.State);

        internal RJobChildJob Child { get; }

        /// <summary>The engine's id for the job; 0 until it starts.</summary>
        internal ulong EngineId { get; private set; }

        /// <summary>A script job's terminating error, whole, as its host reported it.</summary>
        internal ErrorRecord? TerminatingError { get; private set; }

        // Set (under the child's PumpLock) when the end is settled: a terminating error read
        // later is then just an error on the Error stream.
        private bool _reasonSettled;

        /// <summary>Set by the throttle queue while the job counts against its limit.</summary>
        internal bool CountedByThrottle;

        internal static bool IsFinal(JobState s) => s is JobState.Completed or JobState.Failed or JobState.Stopped;

        // ---- Starting ----

        /// <summary>Starts the job's process (the throttle queue calls this). Returns why it could
        /// not start; the job is then Failed.</summary>
        internal Exception? Launch()
        {
            Exception? failure = null;
            // The monitor may hear of the job's end before this returns; it waits for this lock,
            // so Running is always set before the end.
            lock (_transition)
            {
                if (JobStateInfo.State != JobState.NotStarted || _plan is not LaunchPlan plan) return null;
                _plan = null;
                try
                {
                    // The process starts while Start-RJob returns, so that a loop's next start
                    // overlaps this one; one that cannot start fails the job (OnEngineState).
                    plan.Spec.NoWait = true;
                    EngineId = Pool.WorkerPool.TryRun(plan) ?? Engine.Start(plan.Spec);
                    JobTable.OnLaunched(this);
                    Child.SetState(JobState.Running);
                    SetJobState(JobState.Running, null);
                }
                catch (Exception e) when (EngineId == 0)
                {
                    failure = e;
                }
            }
            if (failure != null)
            {
                EndWithoutEngine(JobState.Failed, failure, failure.Message);
                return failure;
            }
            JobMonitor.EnsureStarted();
            return null;
        }

        public override void StartJob()
        {
            if (JobStateInfo.State != JobState.NotStarted)
            {
                throw new InvalidJobStateException(JobStateInfo.State, "The job has already started.");
            }
            if (ThrottleQueue.StartNow(this) is Exception e) throw e;
        }

        public override void StartJobAsync()
        {
            Exception? error = null;
            try { StartJob(); } catch (Exception e) { error = e; }
            OnStartJobCompleted(new AsyncCompletedEventArgs(error, false, null));
        }

        // ---- Stopping ----

        public override void StopJob() => StopJob(force: false, reason: null);

        /// <summary>Stops the job and waits until it has ended. force: SIGKILL now, no grace period.</summary>
        public override void StopJob(bool force, string? reason)
        {
            StopMany(new[] { this }, force, -1);
            Finished.WaitOne();
        }

        public override void StopJobAsync() => StopJobAsync(force: false, reason: null);

        /// <summary>Asks the job to stop; StopJobCompleted is raised once it has ended.</summary>
        public override void StopJobAsync(bool force, string? reason)
        {
            Interlocked.Exchange(ref _stopPending, 1);
            if (IsFinished) RaiseStopCompleted();
            else StopMany(new[] { this }, force, -1);
        }

        /// <summary>Signals many jobs at once (one engine call, so one grace period covers them
        /// all); a job still queued is Stopped without ever starting. Does not wait.</summary>
        internal static void StopMany(System.Collections.Generic.IEnumerable<RJobJob> jobs, bool force, long graceMs)
        {
            var running = new System.Collections.Generic.List<RJobJob>();
            foreach (var job in jobs)
            {
                if (ThrottleQueue.Cancel(job)) job.EndWithoutEngine(JobState.Stopped, null, "");
                else if (job.JobStateInfo.State is JobState.Running or JobState.Stopping && job.EngineId != 0) running.Add(job);
            }
            if (running.Count == 0) return;
            // Stopping before the signals: a job that dies at once must still pass through it.
            foreach (var job in running) job.EnterStopping();
            try
            {
                Engine.Stop(running.ConvertAll(j => j.EngineId).ToArray(), force, graceMs);
            }
            catch (RJobException e) when (e.Status == RJobStatus.NotFound)
            {
                // One of them ended and was released meanwhile, and the engine then stops none:
                // stop the others one by one (a stop does not wait, so they still share the grace).
                foreach (var job in running)
                {
                    try { Engine.Stop(new[] { job.EngineId }, force, graceMs); }
                    catch (RJobException x) when (x.Status == RJobStatus.NotFound) { }
                }
            }
        }

        private void EnterStopping()
        {
            lock (_transition)
            {
                if (JobStateInfo.State != JobState.Running) return;
                Child.SetState(JobState.Stopping);
                SetJobState(JobState.Stopping, null);
            }
        }

        private void RaiseStopCompleted()
        {
            if (Interlocked.Exchange(ref _stopPending, 0) == 1)
            {
                OnStopJobCompleted(new AsyncCompletedEventArgs(null, false, null));
            }
        }

        // ---- The end, as the engine reports it (monitor thread) ----

        internal void OnEngineState(JobState state)
        {
            _news.Set();
            if (state == JobState.Stopping)
            {
                EnterStopping();
                return;
            }
            if (!IsFinal(state) || IsFinished) return;

            ErrorRecord? terminating;
            lock (Child.PumpLock)
            {
                // What fits in the streams is there before anyone hears the job ended. A failure
                // to read must not keep the job from ending: readers will see it again.
                try { OutputPump.Fill(Child, 0); }
                catch (Exception e) when (e is not OutOfMemoryException) { }
                terminating = TerminatingError;
                _reasonSettled = true;
            }
            JobStatus? status = null;
            string engineReason = "";
            try
            {
                status = Engine.Status(EngineId);
                engineReason = Engine.Reason(EngineId) ?? "";
            }
            catch (RJobException e)
            {
                engineReason = e.Message;
            }
            lock (_transition)
            {
                if (IsFinished) return;
                _processId ??= status?.Pid;
                ExitCode = status?.ExitCode;
                Signal = status?.Signal;
                if (status?.EndTimeMs is long ms) PSEndTime = DateTimeOffset.FromUnixTimeMilliseconds(ms).LocalDateTime;
                _statusMessage = engineReason;
                Child.SetState(state);
                SetJobState(state, FailureReason(state, terminating, engineReason));
            }
            AfterEnd();
        }

        // A thrown error is the reason; a non-zero exit code speaks for itself (ExitCode); a job
        // that ended otherwise (a signal, a failed start) gets the engine's words.
        private Exception? FailureReason(JobState state, ErrorRecord? terminating, string engineReason)
        {
            if (state != JobState.Failed) return null;
            if (terminating != null) return new JobFailedException(terminating.Exception, Extent(terminating));
            if (ExitCode is int code && code != 0) return null;
            return new RemoteException(engineReason.Length > 0 ? engineReason : "The job failed.");
        }

        private static ScriptExtent? Extent(ErrorRecord record)
        {
            var info = record.InvocationInfo;
            if (info == null || info.ScriptLineNumber <= 0) return null;
            var start = new ScriptPosition(info.ScriptName, info.ScriptLineNumber, Math.Max(info.OffsetInLine, 1), info.Line ?? "");
            return new ScriptExtent(start, start);
        }

        /// <summary>Ends a job that has no engine job (never started, or failed to).</summary>
        private void EndWithoutEngine(JobState state, Exception? reason, string message)
        {
            lock (_transition)
            {
                if (IsFinished) return;
                _plan = null;
                _reasonSettled = true;
                _statusMessage = message;
                Child.EngineDone = true;
                Child.SetState(state);
                SetJobState(state, reason);
            }
            AfterEnd();
        }

        private void AfterEnd()
        {
            if (Child.EngineDone) ReleaseEngine();
            ThrottleQueue.Finished(this);
            RaiseStopCompleted();
        }

        // ---- Called by the pump, under the child's PumpLock ----

        /// <summary>The job host reported the error that ended the script.</summary>
        internal void OnTerminatingError(ErrorRecord error, IItemSink sink)
        {
            if (_reasonSettled) sink.Add(Records.StreamKind.Error, error, 0);
            else TerminatingError = error;
        }

        /// <summary>The engine has handed over the job's last record.</summary>
        internal void OnDrained()
        {
            Child.EngineDone = true;
            JobTable.OnDrained(this);
            if (IsFinished) ReleaseEngine();
        }

        // Everything the engine held for the job has been read: free it there.
        private void ReleaseEngine()
        {
            if (EngineId == 0) return;
            JobTable.OnReleased(this);
            try { Engine.Remove(EngineId); } catch (RJobException) { }
        }

        // ---- Removal ----

        /// <summary>Forgets the job: kills it first if it still runs (or takes it out of the
        /// throttle queue), then drops it and whatever output the engine still holds.</summary>
        internal void RemoveFromSession()
        {
            if (!IsFinished)
            {
                StopMany(new[] { this }, force: true, -1);
                Finished.WaitOne();
            }
            if (!JobTable.Remove(this)) return;
            if (EngineId != 0)
            {
                try { Engine.Remove(EngineId); } catch (RJobException) { }
            }
        }

        // ---- Not supported: an RJob job runs to its end or is stopped ----

        public override void SuspendJob() => throw NotSupported();
        public override void SuspendJob(bool force, string? reason) => throw NotSupported();
        public override void SuspendJobAsync() => throw NotSupported();
        public override void SuspendJobAsync(bool force, string? reason) => throw NotSupported();
        public override void ResumeJob() => throw NotSupported();
        public override void ResumeJobAsync() => throw NotSupported();
        public override void UnblockJob() => throw NotSupported();
        public override void UnblockJobAsync() => throw NotSupported();

        private static PSNotSupportedException NotSupported() =>
            new("RJob jobs cannot be suspended, resumed or unblocked; stop them with Stop-RJob or Stop-Job.");

        protected override void Dispose(bool disposing)
        {
            if (disposing) Child.Dispose();
            base.Dispose(disposing);
        }
    }
}
