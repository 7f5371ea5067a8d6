// The one background thread of the session: it waits on the engine's change feed and pushes each
// job's new state into the job object (so reading $job.State costs nothing and StateChanged
// fires), and keeps the streams of jobs with unread output topped up, so that Receive-Job and
// $job.ChildJobs[0].Output see output while the job runs. The feed also names jobs whose output
// arrived, so a pass reads only those and the ones whose streams were full; every job that may
// hold output is read once a second as well. (Reading every running job on every change cost
// each start a pass over all jobs: 200 starts made 20,000 reads.)
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
        /// pass, some job's streams are full, neither. A change ends the wait at once. QuietMs is
        /// also how often every job that may hold output is read.</summary>
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
            long lastFull = 0;
            var changes = new List<(ulong Id, JobState State)>();
            var unmatched = new Dictionary<ulong, (JobState State, long Since)>();
            // The jobs the next pass reads: named by the feed, or their streams were full.
            var due = new HashSet<RJobChildJob>();
            while (true)
            {
                try
                {
                    changes.Clear();
                    int wait = busy ? BusyMs : due.Count > 0 ? IdleMs : QuietMs;
                    seq = Engine.Changes(seq, wait, changes);
                    foreach (var (id, state) in changes) unmatched[id] = (state, Environment.TickCount64);
                    Deliver(unmatched, due);
                    long now = Environment.TickCount64;
                    if (now - lastFull >= QuietMs)
                    {
                        lastFull = now;
                        due.UnionWith(JobTable.Draining());
                    }
                    busy = Pump(due);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The monitor must outlive any one job's trouble; the next pass tries again.
                    busy = false;
                    Thread.Sleep(IdleMs);
                }
            }
        }

        private static void Deliver(Dictionary<ulong, (JobState State, long Since)> pending, HashSet<RJobChildJob> due)
        {
            if (pending.Count == 0) return;
            long now = Environment.TickCount64;
            foreach (var id in new List<ulong>(pending.Keys))
            {
                var (state, since) = pending[id];
                var job = JobTable.ByEngineId(id);
                if (job == null && now - since < UnmatchedMs) continue;
                pending.Remove(id);
                if (job == null) continue;
                due.Add(job.Child);
                try
                {
                    job.OnEngineState(state);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // One job's failure to settle must not keep the others from theirs.
                }
            }
        }

        // One top-up per due job. A job whose streams are full stays due (a reader will make
        // room); the others leave until the feed names them again. True if any output moved.
        private static bool Pump(HashSet<RJobChildJob> due)
        {
            bool moved = false;
            due.RemoveWhere(child =>
            {
                try
                {
                    moved |= OutputPump.Fill(child, 0, tryOnly: true) > 0;
                    return child.EngineDone || OutputPump.HasRoom(child);
                }
                catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
                {
                    // Its streams were closed (the job was disposed): nobody can read it any more.
                    JobTable.OnDrained(child.Parent);
                    return true;
                }
            });
            return moved;
        }
    }
}
