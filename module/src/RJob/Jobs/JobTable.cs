// Every RJob job of this process, found by PowerShell id, instance id, or engine id. One table
// per process, as there is one engine per process: a job started in one runspace is visible (and
// can be stopped) from every runspace that imported RJob. Fetching a job twice gives the same
// object.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;

namespace RJob.Jobs
{
    internal static class JobTable
    {
        private static readonly object s_lock = new();
        private static readonly SortedDictionary<int, RJobJob> s_byId = new();
        private static readonly Dictionary<int, RJobChildJob> s_childById = new();
        private static readonly Dictionary<Guid, Job> s_byInstanceId = new();
        private static readonly ConcurrentDictionary<ulong, RJobJob> s_byEngineId = new();
        // Jobs whose engine output is not all read yet: the monitor keeps their streams filled.
        private static readonly ConcurrentDictionary<RJobChildJob, byte> s_draining = new();

        internal static void Add(RJobJob job)
        {
            lock (s_lock)
            {
                s_byId[job.Id] = job;
                s_childById[job.Child.Id] = job.Child;
                s_byInstanceId[job.InstanceId] = job;
                s_byInstanceId[job.Child.InstanceId] = job.Child;
            }
        }

        internal static bool Remove(RJobJob job)
        {
            lock (s_lock)
            {
                if (!s_byId.Remove(job.Id)) return false;
                s_childById.Remove(job.Child.Id);
                s_byInstanceId.Remove(job.InstanceId);
                s_byInstanceId.Remove(job.Child.InstanceId);
            }
            s_byEngineId.TryRemove(job.EngineId, out _);
            s_draining.TryRemove(job.Child, out _);
            return true;
        }

        internal static bool Contains(RJobJob job)
        {
            lock (s_lock) return s_byId.ContainsKey(job.Id);
        }

        /// <summary>The jobs Start-RJob returned, in id order.</summary>
        internal static List<RJobJob> Jobs()
        {
            lock (s_lock) return new List<RJobJob>(s_byId.Values);
        }

        internal static int Count
        {
            get { lock (s_lock) return s_byId.Count; }
        }

        /// <summary>A job, or with recurse also a child job, by PowerShell id.</summary>
        internal static Job? ById(int id, bool recurse)
        {
            lock (s_lock)
            {
                if (s_byId.TryGetValue(id, out var job)) return job;
                return recurse && s_childById.TryGetValue(id, out var child) ? child : null;
            }
        }

        internal static Job? ByInstanceId(Guid id, bool recurse)
        {
            lock (s_lock)
            {
                if (!s_byInstanceId.TryGetValue(id, out var job)) return null;
                return recurse || job is RJobJob ? job : null;
            }
        }

        internal static RJobJob? ByEngineId(ulong id) => s_byEngineId.TryGetValue(id, out var job) ? job : null;

        internal static void OnLaunched(RJobJob job)
        {
            s_byEngineId[job.EngineId] = job;
            s_draining[job.Child] = 0;
        }

        /// <summary>All the job's output has left the engine.</summary>
        internal static void OnDrained(RJobJob job) => s_draining.TryRemove(job.Child, out _);

        /// <summary>The job has ended and the engine has forgotten it.</summary>
        internal static void OnReleased(RJobJob job) => s_byEngineId.TryRemove(job.EngineId, out _);

        internal static ICollection<RJobChildJob> Draining() => s_draining.Keys;
    }
}
