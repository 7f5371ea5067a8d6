// The one background thread of the session: it waits on the engine's change feed and pushes each
// job's new state into the job object (so reading $job.State costs nothing and StateChanged
// fires), and between changes keeps the streams of jobs with unread output topped up, so that
// Receive-Job and $job.ChildJobs[0].Output see output while the job runs.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using RJob.Interop;

namespace RJob.Jobs
{
    internal static class JobMonitor
    {
        /// <summary>How long the feed is waited on between pump passes: output moved in the last
        /// pass, none moved, no job with output left to read. A change ends the wait at once.</summary>
        private const int BusyMs = 5, IdleMs = 100, QuietMs = 1000;

        /// <summary>How long a change for a job not yet in the table is kept (its launch is
        /// still registering it).</summary>
        private const int UnmatchedMs = 30_000;

        private static readonly object s_lock = new();
        private static Thread? s_thread;

        internal static void EnsureStarted()
        {
            if (s_thread != null) return;
            lock (s_lock)
            {
                if (s_thread != null) return;
                s_thread = new Thread(Loop) { IsBackground = true, Name = "RJob monitor" };
                s_thread.Start();
            }
        }

        private static void Loop()
        {
            ulong seq = 0;
            bool busy = false;
            var changes = new List<(ulong Id, JobState State)>();
            var unmatched = new Dictionary<ulong, (JobState State, long Since)>();
            while (true)
            {
                try
                {
                    changes.Clear();
                    int wait = busy ? BusyMs : JobTable.AnyDraining ? IdleMs : QuietMs;
                    seq = Engine.Changes(seq, wait, changes);
                    foreach (var (id, state) in changes) unmatched[id] = (state, Environment.TickCount64);
                    Deliver(unmatched);
                    busy = PumpAll();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The monitor must outlive any one job's trouble; the next pass tries again.
                    busy = false;
                    Thread.Sleep(IdleMs);
                }
            }
        }

        private static void Deliver(Dictionary<ulong, (JobState State, long Since)> pending)
        {
            if (pending.Count == 0) return;
            long now = Environment.TickCount64;
            foreach (var id in new List<ulong>(pending.Keys))
            {
                var (state, since) = pending[id];
                var job = JobTable.ByEngineId(id);
                if (job == null && now - since < UnmatchedMs) continue;
                pending.Remove(id);
                try
                {
                    job?.OnEngineState(state);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // One job's failure to settle must not keep the others from theirs.
                }
            }
        }

        // One read per job that has unread output and room in its streams. True if any moved.
        private static bool PumpAll()
        {
            bool moved = false;
            foreach (var child in JobTable.Draining())
            {
                try
                {
                    moved |= OutputPump.Fill(child, 0, tryOnly: true) > 0;
                }
                catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
                {
                    // Its streams were closed (the job was disposed): nobody can read it any more.
                    JobTable.OnDrained(child.Parent);
                }
            }
            return moved;
        }
    }
}
