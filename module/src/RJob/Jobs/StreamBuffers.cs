// A job's stream collections (Output, Error, ... as Receive-Job reads them), kept small: the pump
// adds to them only while what they hold is under MaxBytes of the job's raw output, and refills
// them as readers take items away. Readers may be anyone: Receive-Job, Receive-RJob, or a user's
// $job.ChildJobs[0].Output.ReadAll(); all of them take from the head, oldest first.
//
// It also remembers the order in which items of different streams arrived, so Receive-RJob -Wait
// writes them in that order, as Receive-Job -Wait does.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using RJob.Records;

namespace RJob.Jobs
{
    internal sealed class StreamBuffers : IItemSink
    {
        /// <summary>Raw output bytes the collections may hold before the pump waits for readers.</summary>
        internal const int MaxBytes = 1 << 20;

        private const int Kinds = 7;
        private readonly object _sync = new();
        private readonly IList[] _collections = new IList[Kinds];
        // Typed adds: PSDataCollection's IList.Add raises DataAdded twice.
        private readonly Action<object>[] _add = new Action<object>[Kinds];
        // Arrival order of the items added, with their sizes; and how many of each kind it holds.
        private readonly Queue<(StreamKind Kind, int Size)> _order = new();
        private readonly int[] _queued = new int[Kinds];
        // Items of each kind whose entry is queued but which are not in their collection yet: the
        // add happens outside the lock, and until it does the collection holds fewer items than
        // the queue counts without any reader having taken one. Interlocked, so that an add
        // takes the lock once.
        private readonly int[] _adding = new int[Kinds];
        private long _bytes;

        internal StreamBuffers(Job job)
        {
            job.Output = Open(new PSDataCollection<PSObject>(), StreamKind.Output);
            job.Error = Open(new PSDataCollection<ErrorRecord>(), StreamKind.Error);
            job.Verbose = Open(new PSDataCollection<VerboseRecord>(), StreamKind.Verbose);
            job.Debug = Open(new PSDataCollection<DebugRecord>(), StreamKind.Debug);
            job.Warning = Open(new PSDataCollection<WarningRecord>(), StreamKind.Warning);
            job.Progress = Open(new PSDataCollection<ProgressRecord>(), StreamKind.Progress);
            job.Information = Open(new PSDataCollection<InformationRecord>(), StreamKind.Information);
        }

        private PSDataCollection<T> Open<T>(PSDataCollection<T> collection, StreamKind kind)
        {
            collection.EnumeratorNeverBlocks = true; // `$job.Output` lists what is there and returns
            _collections[(int)kind] = collection;
            _add[(int)kind] = item => collection.Add((T)item);
            return collection;
        }

        /// <summary>What an item costs beyond its bytes (a PSObject, its string, a slot), so that
        /// a backlog of short lines is bounded in memory, not only in text.</summary>
        private const int ItemCost = 256;

        public void Add(StreamKind kind, object item, int size)
        {
            size += ItemCost;
            lock (_sync)
            {
                _order.Enqueue((kind, size));
                _queued[(int)kind]++;
                Interlocked.Increment(ref _adding[(int)kind]);
                _bytes += size;
            }
            try
            {
                // Outside the lock: DataAdded handlers (Receive-Job -Wait) run here and take the item.
                _add[(int)kind](item);
            }
            finally
            {
                // After the item is in: a Forget that still sees it as under way only keeps an
                // entry a little longer.
                Interlocked.Decrement(ref _adding[(int)kind]);
            }
        }

        /// <summary>True when no collection holds an item.</summary>
        internal bool IsEmpty
        {
            get
            {
                foreach (var c in _collections)
                {
                    if (c.Count > 0) return false;
                }
                return true;
            }
        }

        /// <summary>The raw bytes the collections hold now, after forgetting what readers took.</summary>
        internal long Reconcile()
        {
            lock (_sync)
            {
                Forget();
                return _bytes;
            }
        }

        /// <summary>Takes every item that is there, in arrival order, at once. Taking one at a
        /// time removes from the head of a list (O(n) each), which made a long -Wait quadratic.</summary>
        internal void TakeAll(List<(StreamKind Kind, object? Item)> into)
        {
            lock (_sync)
            {
                Forget();
                var snap = new List<object?>[Kinds];
                var taken = new int[Kinds];
                for (int k = 0; k < Kinds; k++)
                {
                    var c = _collections[k];
                    lock (c.SyncRoot)
                    {
                        snap[k] = new List<object?>(c.Count);
                        for (int i = 0; i < c.Count; i++) snap[k].Add(c[i]);
                    }
                }
                // An entry whose item is not in its collection yet (being added) ends the run.
                while (_order.Count > 0)
                {
                    var (k, size) = _order.Peek();
                    if (taken[(int)k] >= snap[(int)k].Count) break;
                    _order.Dequeue();
                    _queued[(int)k]--;
                    _bytes -= size;
                    into.Add((k, snap[(int)k][taken[(int)k]++]));
                }
                // Items no entry accounts for (put in a collection directly, not through Add) are
                // taken too, last: left there, they would keep a reader that waits for the streams
                // to empty waiting for ever.
                for (int k = 0; k < Kinds; k++)
                {
                    if (_queued[k] > 0 || Volatile.Read(ref _adding[k]) > 0) continue;
                    while (taken[k] < snap[k].Count) into.Add(((StreamKind)k, snap[k][taken[k]++]));
                }
                for (int k = 0; k < Kinds; k++)
                {
                    var c = _collections[k];
                    lock (c.SyncRoot)
                    {
                        if (taken[k] == c.Count) c.Clear();
                        else for (int i = 0; i < taken[k]; i++) c.RemoveAt(0);
                    }
                }
            }
        }

        /// <summary>Takes (or with keep, copies) everything a stream holds.</summary>
        internal static List<object?> Take(IList collection, bool keep)
        {
            var items = new List<object?>();
            lock (collection.SyncRoot)
            {
                // By index: a collection's enumerator may block until the collection is closed.
                for (int i = 0; i < collection.Count; i++) items.Add(collection[i]);
                if (!keep) collection.Clear();
            }
            return items;
        }

        // Under _sync. Readers remove from the head of a collection, so when a kind has fewer items
        // than this queue counts (adds under way aside), its oldest entries are gone: drop them
        // from the order. Counting an add under way as gone dropped the entry of an item about to
        // arrive, which then had none: Receive-RJob -Wait spun on it for ever (seen in the bench).
        private void Forget()
        {
            Span<int> gone = stackalloc int[Kinds];
            bool any = false;
            for (int k = 0; k < Kinds; k++)
            {
                gone[k] = _queued[k] - Volatile.Read(ref _adding[k]) - _collections[k].Count;
                any |= gone[k] > 0;
            }
            if (!any) return;
            int n = _order.Count;
            for (int i = 0; i < n; i++)
            {
                var e = _order.Dequeue();
                int k = (int)e.Kind;
                if (gone[k] > 0)
                {
                    gone[k]--;
                    _queued[k]--;
                    _bytes -= e.Size;
                }
                else
                {
                    _order.Enqueue(e);
                }
            }
        }
    }
}
