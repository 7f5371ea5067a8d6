// Where a script job's host writes its records.
namespace RJob.Jobs
{
    internal static class RecordsChannel
    {
        // TEMPORARY SWITCH, until the engine branch with the records pipe is merged: false sends
        // records over stderr, each line marked (HostPayload.StderrMarker), since today's engine
        // has no fd 3. Set it to true at the merge: records then travel on the job's fd 3, which
        // the script cannot write by accident, and stdout/stderr are plain text again.
        internal static readonly bool EnginePipe = true;

        /// <summary>The job host's records fd: 3 (the records pipe) or 2 (stderr, marked).</summary>
        internal static int HostFd => EnginePipe ? 3 : 2;
    }
}
