// Moves a job's output from the engine into its streams, decoded, in batches. Everyone who needs
// output goes through here, holding the job's PumpLock: the session's monitor thread (keeping the
// collections topped up for Receive-Job and $job.Output), Receive-RJob (which pulls what it
// writes), and the end of a job (so Wait-Job followed by Receive-Job sees all of a small job's
// output). Receive-RJob -Wait takes output straight from the engine (Drain) while the streams
// are empty: going through them costs a lock, an event and a queue entry per line.
using System;
using System.Management.Automation;
using System.Threading;
using RJob.Interop;
using RJob.Records;

namespace RJob.Jobs
{
    internal static class OutputPump
    {
        /// <summary>Most bytes one engine read returns; and the least asked for, so a nearly full
        /// buffer still gets a useful read (the bound is loose by this much, or one long line).</summary>
        private const int Batch = 64 << 10, MinRead = 4 << 10;

        /// <summary>Tops the job's collections up to StreamBuffers.MaxBytes. Waits up to
        /// timeoutMs for the first data when there is none. With tryOnly, gives up at once if
        /// someone else is reading. Returns the bytes moved.</summary>
        internal static long Fill(RJobChildJob job, long timeoutMs, bool tryOnly = false)
        {
            if (job.EngineDone) return 0;
            // The monitor's top-ups (tryOnly) would only push a direct reader onto the slow path.
            if (tryOnly && Volatile.Read(ref job.DirectReaders) > 0) return 0;
            bool taken = false;
            try
            {
                if (tryOnly) Monitor.TryEnter(job.PumpLock, ref taken);
                else Monitor.Enter(job.PumpLock, ref taken);
                if (!taken) return 0;
                long total = 0;
                while (!job.EngineDone)
                {
                    long room = StreamBuffers.MaxBytes - job.Buffers.Reconcile();
                    if (room <= 0) break;
                    int n = Once(job, job.Buffers, timeoutMs, (int)Math.Clamp(room, MinRead, Batch));
                    if (n == 0) break;
                    total += n;
                    timeoutMs = 0;
                }
                return total;
            }
            finally
            {
                if (taken) Monitor.Exit(job.PumpLock);
            }
        }

        /// <summary>True while the job's collections hold less than StreamBuffers.MaxBytes.</summary>
        internal static bool HasRoom(RJobChildJob job) => job.Buffers.Reconcile() < StreamBuffers.MaxBytes;

        /// <summary>Reads up to about maxBytes of output straight into sink, for a reader that
        /// writes what it reads (it counts itself in job.DirectReaders). Only while the streams
        /// are empty, since what they hold is older; otherwise reads nothing. Waits up to
        /// timeoutMs for the first data. Returns the bytes moved.</summary>
        internal static long Drain(RJobChildJob job, IItemSink sink, long timeoutMs, int maxBytes)
        {
            if (job.EngineDone) return 0;
            lock (job.PumpLock)
            {
                if (!job.Buffers.IsEmpty) return 0;
                long total = 0;
                while (!job.EngineDone && total < maxBytes)
                {
                    int n = Once(job, sink, timeoutMs, (int)Math.Clamp(maxBytes - total, MinRead, Batch));
                    if (n == 0) break;
                    total += n;
                    timeoutMs = 0;
                }
                return total;
            }
        }

        // Under PumpLock: one engine read, decoded into the sink. Returns the bytes read.
        private static int Once(RJobChildJob job, IItemSink sink, long timeoutMs, int maxBytes)
        {
            ulong id = job.Parent.EngineId;
            if (id == 0) return 0;
            OutputBatch batch;
            try
            {
                batch = Engine.Receive(id, false, 0, timeoutMs, maxBytes); // consuming reads
            }
            catch (RJobException e) when (e.Status == RJobStatus.NotFound)
            {
                job.Parent.OnDrained();
                return 0;
            }
            int bytes = 0;
            void Line(byte stream, byte[] line) => job.Decoder.Decode(stream, line, sink, job.Parent.OnTerminatingError);
            foreach (var record in batch.Records)
            {
                bytes += record.Data.Length + 1;
                job.Joiner.Feed(record, Line);
            }
            if (batch.Done)
            {
                job.Joiner.Flush(Line);
                job.Parent.OnDrained();
            }
            return bytes;
        }
    }
}
