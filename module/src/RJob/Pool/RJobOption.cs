// What Get-RJobOption (and Set-RJobOption -PassThru) writes: the pool's settings and its idle
// workers right now.
using System;

namespace RJob.Pool
{
    public sealed class RJobOption
    {
        internal RJobOption()
        {
            PoolSize = WorkerPool.Size;
            PoolIdleTimeout = WorkerPool.IdleTimeout;
            var (ready, alive, pids) = WorkerPool.Workers();
            WorkersReady = ready;
            WorkersStarting = alive - ready;
            WorkerProcessIds = pids;
        }

        /// <summary>Idle workers the pool keeps (0: off).</summary>
        public int PoolSize { get; }

        /// <summary>How long the pool keeps its workers without a script job.</summary>
        public TimeSpan PoolIdleTimeout { get; }

        /// <summary>Idle workers primed and waiting for a job.</summary>
        public int WorkersReady { get; }

        /// <summary>Idle workers still booting.</summary>
        public int WorkersStarting { get; }

        /// <summary>The process ids of the idle workers (their pwsh).</summary>
        public int[] WorkerProcessIds { get; }
    }
}
