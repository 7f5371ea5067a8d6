// A cold script job's runspace imports RJob when the script first names one of RJob's commands,
// not when it opens: the import took about 250 ms of a 1.4 s cold start (the module machinery's
// first run in a fresh pwsh, format data), which a job that starts no jobs of its own should not
// pay. The caller's own manifest is imported, not whatever RJob module autoloading would find.
// A pool worker imports at open instead: it does so before it is ready, off the job's clock.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;

namespace RJob.Host
{
    internal static class ModuleOnFirstUse
    {
        private const string ModuleName = "RJob";

        // The commands this assembly defines, from their [Cmdlet] attributes (the manifest exports them all).
        private static readonly Lazy<HashSet<string>> s_commands = new(() =>
        {
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var type in typeof(ModuleOnFirstUse).Assembly.GetTypes())
            {
                if (type.GetCustomAttribute<CmdletAttribute>() is { } c) names.Add(c.VerbName + "-" + c.NounName);
            }
            return names;
        });

        internal static void Attach(Runspace runspace, string manifest)
        {
            var invoke = runspace.SessionStateProxy.InvokeCommand;
            EventHandler<CommandLookupEventArgs>? handler = null;
            handler = (_, e) =>
            {
                if (!Names(e.CommandName)) return;
                // Once: detached first, so the import's own lookups do not come back here.
                if (invoke.PreCommandLookupAction == handler) invoke.PreCommandLookupAction = null;
                using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
                ps.AddCommand("Microsoft.PowerShell.Core\\Import-Module")
                    .AddParameter("Name", manifest).AddParameter("Scope", "Global");
                ps.Invoke();
            };
            invoke.PreCommandLookupAction = handler;
        }

        private static bool Names(string command)
        {
            // Cheap first: most lookups are of other commands.
            if (command.IndexOf(ModuleName, StringComparison.OrdinalIgnoreCase) < 0) return false;
            string prefix = ModuleName + "\\";
            if (command.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) command = command[prefix.Length..];
            return s_commands.Value.Contains(command);
        }
    }
}
