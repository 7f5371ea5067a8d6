// What a job will run once the throttle lets it start: the engine's start spec and how to read
// what the job writes.
using System.Text;
using RJob.Interop;

namespace RJob.Jobs
{
    internal sealed class LaunchPlan
    {
        internal LaunchPlan(StartSpec spec, string kind, Encoding encoding)
        {
            Spec = spec;
            Kind = kind;
            Encoding = encoding;
        }

        internal StartSpec Spec { get; }

        /// <summary>The RJob manifest a script job's runspace imports (a pool worker must have
        /// imported the same one).</summary>
        internal string? Module { get; init; }

        /// <summary>"Script" (a script block run by the job host in a child pwsh) or "Native".</summary>
        internal string Kind { get; }

        internal bool IsScript => Kind == ScriptKind;

        /// <summary>How the job's text output is decoded (once, after long lines are joined).</summary>
        internal Encoding Encoding { get; }

        internal const string ScriptKind = "Script";
        internal const string NativeKind = "Native";
    }
}
