// The warm pool of script-job workers (issue #7): primed, single-use child pwsh processes waiting
// for their job, so a script job starts in milliseconds instead of booting a pwsh.
//
// The pool fills lazily: after the first script job of the session (which itself starts cold), or
// at once when Set-RJobOption sets a size; never at Import-Module. A take hands the job to a ready
// worker and refills in the background; after PoolIdleTimeout without a script job the workers
// are let go. A job takes the cold path (RJobJob starts a fresh pwsh, as before) when no primed
// worker is ready, when the worker died, when the caller's start-only environment
// (EnvironmentSnapshot) or imported RJob differs from the worker's, and for what a worker cannot
// honour: a remote job, or a job with its own -GraceSeconds (a worker's supervisor was started
// with the default). Workers die with pwsh as jobs do: their supervisors see end of input.
using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using RJob.Interop;
using RJob.Jobs;

namespace RJob.Pool
{
    internal static class WorkerPool
    {
        private static readonly object s_lock = new();
        private static readonly List<Worker> s_idle = new();
        private static int s_size = PoolOptions.InitialSize();
        private static TimeSpan s_idleTimeout = PoolOptions.DefaultIdleTimeout;
        private static int s_starting;
        /// <summary>Changes when the pool is emptied, so a worker still booting for an earlier
        /// pool is let go when it comes up rather than join this one.</summary>
        private static int s_generation;
        private static bool s_active;
        private static long s_lastUse = Environment.TickCount64;
        private static Timer? s_timer;
        /// <summary>The RJob manifest the last script job imported: new workers import it too.</summary>
        private static string? s_module;

        internal static int Size { get { lock (s_lock) return s_size; } }
        internal static TimeSpan IdleTimeout { get { lock (s_lock) return s_idleTimeout; } }

        /// <summary>Starts a script job on a ready worker; returns its engine id, or null for the cold path.</summary>
        internal static ulong? TryRun(LaunchPlan plan)
        {
            var spec = plan.Spec;
            if (!plan.IsScript || spec.Remote != null || spec.GraceMs != null || spec.Stdin == null || spec.Env == null) return null;
            Worker? taken = null;
            var letGo = new List<Worker>();
            lock (s_lock)
            {
                if (s_size == 0) return null;
                s_lastUse = Environment.TickCount64;
                s_module = plan.Module;
                Activate();
                var wanted = EnvironmentSnapshot.Of(spec.Env);
                for (int i = 0; i < s_idle.Count && taken == null; i++)
                {
                    var w = s_idle[i];
                    if (!w.IsAlive() || !w.Snapshot.Equals(wanted) || w.Module != plan.Module)
                    {
                        // Dead, or started for a session that has changed since: it will never fit.
                        letGo.Add(w);
                        s_idle.RemoveAt(i--);
                    }
                    else if (w.CheckPrimed())
                    {
                        taken = w;
                        s_idle.RemoveAt(i);
                    }
                }
            }
            foreach (var w in letGo) w.Retire();
            if (taken != null && (spec.Cwd == null || !Directory.Exists(spec.Cwd)))
            {
                // The cold path reports a missing directory as a failed start; keep that.
                taken.Retire();
                taken = null;
            }
            ulong? id = null;
            if (taken != null)
            {
                try
                {
                    taken.Send(spec.Stdin);
                    id = taken.EngineId;
                }
                catch (RJobException)
                {
                    taken.Retire(); // it died between the check and the send
                }
            }
            Refill();
            return id;
        }

        /// <summary>Set-RJobOption: a new size fills (or trims) the pool at once.</summary>
        internal static void Configure(int? size, TimeSpan? idleTimeout, string? module)
        {
            var letGo = new List<Worker>();
            lock (s_lock)
            {
                s_module ??= module;
                if (idleTimeout is TimeSpan t) s_idleTimeout = t;
                if (size is int n)
                {
                    s_size = n;
                    while (s_idle.Count > n)
                    {
                        letGo.Add(s_idle[^1]);
                        s_idle.RemoveAt(s_idle.Count - 1);
                    }
                    s_lastUse = Environment.TickCount64;
                    if (n > 0) Activate();
                    else Deactivate();
                }
                s_timer?.Change(TickPeriod(), TickPeriod());
            }
            foreach (var w in letGo) w.Retire();
            Refill();
        }

        /// <summary>Idle workers now: (ready to take, all alive, their pids).</summary>
        internal static (int Ready, int Alive, int[] Pids) Workers()
        {
            lock (s_lock)
            {
                int ready = 0;
                var pids = new List<int>();
                foreach (var w in s_idle)
                {
                    if (!w.IsAlive()) continue;
                    pids.Add(w.Pid);
                    if (w.CheckPrimed()) ready++;
                }
                return (ready, pids.Count, pids.ToArray());
            }
        }

        // Under s_lock.
        private static void Activate()
        {
            if (s_active) return;
            s_active = true;
            s_timer ??= new Timer(_ => Tick(), null, Timeout.Infinite, Timeout.Infinite);
            s_timer.Change(TickPeriod(), TickPeriod());
        }

        // Under s_lock: stop filling; the caller retires what was idle.
        private static void Deactivate()
        {
            s_active = false;
            s_generation++;
            s_starting = 0;
            s_timer?.Change(Timeout.Infinite, Timeout.Infinite);
        }

        private static TimeSpan TickPeriod() =>
            TimeSpan.FromMilliseconds(Math.Clamp(s_idleTimeout.TotalMilliseconds / 4, 250, 30_000));

        // Lets the workers go after the idle time; between, drops dead ones and refills.
        private static void Tick()
        {
            var letGo = new List<Worker>();
            lock (s_lock)
            {
                if (!s_active) return;
                bool idle = Environment.TickCount64 - s_lastUse >= (long)s_idleTimeout.TotalMilliseconds;
                for (int i = 0; i < s_idle.Count; i++)
                {
                    if (idle || !s_idle[i].IsAlive())
                    {
                        letGo.Add(s_idle[i]);
                        s_idle.RemoveAt(i--);
                    }
                }
                if (idle) Deactivate();
            }
            foreach (var w in letGo) w.Retire();
            Refill();
        }

        /// <summary>Starts workers in the background until the pool is full.</summary>
        private static void Refill()
        {
            int missing, generation;
            lock (s_lock)
            {
                if (!s_active) return;
                missing = s_size - s_idle.Count - s_starting;
                if (missing <= 0) return;
                s_starting += missing;
                generation = s_generation;
            }
            for (int i = 0; i < missing; i++) ThreadPool.QueueUserWorkItem(_ => StartOne(generation));
        }

        private static void StartOne(int generation)
        {
            Worker? w = null;
            try
            {
                var env = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
                {
                    env[(string)e.Key] = e.Value?.ToString() ?? "";
                }
                string cwd = Directory.Exists(Environment.CurrentDirectory) ? Environment.CurrentDirectory : "/";
                string? module;
                lock (s_lock) module = s_module;
                w = Worker.Start(env, cwd, module);
            }
            catch (Exception e) when (e is RJobException or IOException or UnauthorizedAccessException)
            {
                // No worker this time: jobs start cold, and the next take tries again.
            }
            bool keep;
            lock (s_lock)
            {
                bool current = generation == s_generation;
                if (current) s_starting--;
                keep = w != null && current && s_active && s_idle.Count < s_size;
                if (keep) s_idle.Add(w!);
            }
            if (!keep) w?.Retire();
        }
    }
}
