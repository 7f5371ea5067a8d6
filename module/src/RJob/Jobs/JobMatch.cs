// How jobs are matched by name, command and filter: one place for the RJob cmdlets and for the
// JobSourceAdapter that Get-Job and the other built-in job cmdlets go through.
using System;
using System.Collections;
using System.Management.Automation;
using RJob.Records;

namespace RJob.Jobs
{
    internal static class JobMatch
    {
        /// <summary>Names match as PowerShell wildcards, case-insensitively (a name without
        /// wildcard characters matches only itself).</summary>
        internal static WildcardPattern Pattern(string text) => WildcardPattern.Get(text, WildcardOptions.IgnoreCase);

        /// <summary>As Get-Job -Command: equal when trimmed, or matching as a wildcard.</summary>
        internal static bool Command(Job job, string command, WildcardPattern pattern)
        {
            string text = job.Command.Trim();
            return text.Equals(command.Trim(), StringComparison.OrdinalIgnoreCase) || pattern.IsMatch(text);
        }

        /// <summary>True when every key names a property of the job whose value matches (strings
        /// as wildcards, anything else by PowerShell's equality).</summary>
        internal static bool Filter(Job job, IDictionary filter)
        {
            var pso = PSObject.AsPSObject(job);
            foreach (DictionaryEntry entry in filter)
            {
                var property = pso.Properties[entry.Key?.ToString() ?? ""];
                if (property == null) return false;
                object? actual = property.Value;
                object? wanted = Pso.Base(entry.Value);
                if (wanted is string s && actual != null)
                {
                    if (!Pattern(s).IsMatch(actual.ToString() ?? "")) return false;
                }
                else if (!LanguagePrimitives.Equals(actual, wanted, ignoreCase: true))
                {
                    return false;
                }
            }
            return true;
        }
    }
}
