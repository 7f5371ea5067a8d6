using System.Management.Automation;

namespace RJob.Records
{
    internal static class Pso
    {
        /// <summary>The object a PSObject wraps (PowerShell's own PSObject.Base is internal).</summary>
        internal static object? Base(object? value) => value is PSObject p ? p.BaseObject : value;
    }
}
