// The session-wide limit on running jobs (Start-RJob -ThrottleLimit), as ThreadJob has: jobs
// beyond it wait NotStarted and start in the order they were queued, as others end. A queued job
// that is stopped or removed leaves the queue and never starts. The default is no limit, as for
// Start-Job: every job starts at once.
using System;
using System.Collections.Generic;

namespace RJob.Jobs
{
    internal static class ThrottleQueue
    {
        /// <summary>0 means no limit.</summary>
        internal const int DefaultLimit = 0;

        private static readonly object s_lock = new();
        private static readonly LinkedList<RJobJob> s_waiting = new();
        private static int s_limit = DefaultLimit;
        private static int s_running;

        internal static int Limit
        {
            get { lock (s_lock) return s_limit; }
        }

        /// <summary>Sets the limit for every job queued from now on and those already waiting.</summary>
        internal static void SetLimit(int limit)
        {
            lock (s_lock) s_limit = limit;
            StartWaiting();
        }

        /// <summary>Starts the job now if the limit allows, else queues it. Returns why it could
        /// not start, if it started here and failed.</summary>
        internal static Exception? Enqueue(RJobJob job)
        {
            lock (s_lock)
            {
                if (s_limit != DefaultLimit && s_running >= s_limit)
                {
                    s_waiting.AddLast(job);
                    return null;
                }
                Count(job);
            }
            return job.Launch();
        }

        /// <summary>Starts a queued job at once, ahead of the queue (Job2.StartJob).</summary>
        internal static Exception? StartNow(RJobJob job)
        {
            lock (s_lock)
            {
                s_waiting.Remove(job);
                if (!job.CountedByThrottle) Count(job);
            }
            return job.Launch();
        }

        /// <summary>Takes a queued job out of the queue; false if it was not waiting.</summary>
        internal static bool Cancel(RJobJob job)
        {
            lock (s_lock) return s_waiting.Remove(job);
        }

        /// <summary>A job ended: its slot goes to the next one waiting.</summary>
        internal static void Finished(RJobJob job)
        {
            lock (s_lock)
            {
                if (!job.CountedByThrottle) return;
                job.CountedByThrottle = false;
                s_running--;
            }
            StartWaiting();
        }

        private static void Count(RJobJob job)
        {
            job.CountedByThrottle = true;
            s_running++;
        }

        // Launches outside the lock: a launch takes the job's own lock, and may end the job.
        private static void StartWaiting()
        {
            while (true)
            {
                RJobJob job;
                lock (s_lock)
                {
                    if (s_waiting.First is null || (s_limit != DefaultLimit && s_running >= s_limit)) return;
                    job = s_waiting.First.Value;
                    s_waiting.RemoveFirst();
                    Count(job);
                }
                job.Launch();
            }
        }
    }
}
