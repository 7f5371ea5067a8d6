// What Start-RJob sends a script job's host on its stdin: one hashtable, serialized as CLIXML.
// The keys are named here once, for the writer (Start-RJob) and the reader (JobHost).
namespace RJob.Host
{
    internal static class HostPayload
    {
        /// <summary>The script's text, run as a script block (string).</summary>
        internal const string Script = "Script";
        /// <summary>Positional arguments (object[]).</summary>
        internal const string Arguments = "Arguments";
        /// <summary>$using: values keyed as PowerShell keys them (hashtable).</summary>
        internal const string Using = "Using";
        /// <summary>The objects $input enumerates (object[]).</summary>
        internal const string Input = "Input";
        /// <summary>-InitializationScript's text, run first in the same runspace (string or absent).</summary>
        internal const string Initialization = "Initialization";
        /// <summary>The PowerShell location to start in, e.g. Temp:/ (string).</summary>
        internal const string Location = "Location";
        /// <summary>The file descriptor records go to: 3 (the records pipe) or 2 (stderr, marked).</summary>
        internal const string RecordsFd = "RecordsFd";
        /// <summary>The caller's whole environment (NAME=value strings), applied by a pool worker,
        /// which started before the job (absent: keep the process's own).</summary>
        internal const string Environment = "Environment";
        /// <summary>The caller's process working directory, set by a pool worker (string or absent).</summary>
        internal const string WorkingDirectory = "WorkingDirectory";
        /// <summary>RJob's manifest, imported into the job's runspace so jobs can start jobs (string or absent).</summary>
        internal const string Module = "Module";

        /// <summary>Starts each record line on stderr when there is no records pipe.</summary>
        internal static readonly byte[] StderrMarker = { 0x1E, (byte)'R', (byte)'J', (byte)'O', (byte)'B', (byte)':' };
    }
}
