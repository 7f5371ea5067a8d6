// The warm pool's settings (Set-RJobOption / Get-RJobOption): the one place their defaults and
// limits live.
using System;

namespace RJob.Pool
{
    internal static class PoolOptions
    {
        /// <summary>One idle worker costs about 120 MiB: one is enough to make the next script job
        /// start in milliseconds, and is what a session pays by default.</summary>
        internal const int DefaultSize = 1;
        internal const int MaxSize = 16;

        internal static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(5);
        internal static readonly TimeSpan MinIdleTimeout = TimeSpan.FromSeconds(1);
        internal static readonly TimeSpan MaxIdleTimeout = TimeSpan.FromDays(1);

        /// <summary>Inside a job's own processes (they carry the job cookie) the pool is off by
        /// default: a job that starts jobs should not keep idle pwsh processes of its own.</summary>
        internal static int InitialSize() =>
            Environment.GetEnvironmentVariable(Host.JobHost.CookieVariable) is { Length: > 0 } ? 0 : DefaultSize;
    }
}
