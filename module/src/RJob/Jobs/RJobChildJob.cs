// The child job of an RJob job, as Start-Job has one: it holds the job's output streams, which
// Receive-Job reads by recursing into ChildJobs. It also holds what the pump needs to read the
// engine's output for the job: the lock that serialises reads, the joiner for long lines, the
// decoder.
using System.Management.Automation;

namespace RJob
{
    public sealed class RJobChildJob : Job
    {
        internal RJobChildJob(RJobJob parent, string command, Jobs.LaunchPlan plan) : base(command)
        {
            Parent = parent;
            Buffers = new Jobs.StreamBuffers(this);
            Decoder = new Jobs.OutputDecoder(plan.IsScript, plan.Encoding);
        }

        /// <summary>The job Start-RJob returned.</summary>
        public RJobJob Parent { get; }

        public override string StatusMessage => Parent.StatusMessage;

        /// <summary>True while the job may still write, and while its streams hold anything.</summary>
        public override bool HasMoreData => !EngineDone || !Buffers.IsEmpty;

        public override string Location => Parent.Location;

        public override void StopJob() => Parent.StopJob();

        internal Jobs.StreamBuffers Buffers { get; }
        internal Jobs.OutputDecoder Decoder { get; }
        internal Jobs.LineJoiner Joiner { get; } = new();

        /// <summary>Held while reading the engine, decoding and settling the job's end.</summary>
        internal object PumpLock { get; } = new();

        /// <summary>Set once the engine has handed over the job's last record.</summary>
        internal volatile bool EngineDone;

        /// <summary>Readers taking output straight from the engine (Receive-RJob -Wait); while
        /// there is one, the monitor leaves the streams alone (see OutputPump.Drain).</summary>
        internal int DirectReaders;

        internal void SetState(JobState state) => SetJobState(state);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                // The collections are ours, not the base class's: close them so readers end.
                Output.Complete(); Error.Complete(); Verbose.Complete(); Debug.Complete();
                Warning.Complete(); Progress.Complete(); Information.Complete();
            }
            base.Dispose(disposing);
        }
    }
}
