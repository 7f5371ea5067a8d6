// How a script job runs: the pwsh that hosts this session, started directly (no shell), loads
// this assembly and runs Host/JobHost, which reads the job from stdin. So the job runs the same
// PowerShell as the caller, and the user's script is never part of a command line.
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Text;
using RJob.Host;

namespace RJob.Jobs
{
    internal static class ScriptLaunch
    {
        // Deep enough for the payload table, its lists and one level inside each value, as
        // Start-Job sends arguments (deserialized objects in the job).
        private const int PayloadDepth = 3;

        private static readonly Lazy<string[]> s_argv = new(BuildArgv);

        /// <summary>The pwsh command line that runs the job host.</summary>
        internal static string[] Argv => s_argv.Value;

        /// <summary>How this session's pwsh is started again: a pwsh installed as a .NET tool runs
        /// as "dotnet pwsh.dll", a native install as pwsh itself.</summary>
        internal static string[] PwshCommand()
        {
            string psHome = Path.GetDirectoryName(typeof(PSObject).Assembly.Location)!;
            string? exe = Environment.ProcessPath;
            string leaf = Path.GetFileNameWithoutExtension(exe ?? "");
            if (leaf == "dotnet") return new[] { exe!, Path.Combine(psHome, "pwsh.dll") };
            if (leaf == "pwsh") return new[] { exe! };
            return new[] { Path.Combine(psHome, "pwsh") };
        }

        private static string[] BuildArgv()
        {
            string dll = typeof(JobHost).Assembly.Location.Replace("'", "''");
            string loader = $"$null = [System.Reflection.Assembly]::LoadFrom('{dll}'); exit [RJob.Host.JobHost]::Run()";
            var argv = new List<string>(PwshCommand()) { "-NoProfile", "-NonInteractive", "-NoLogo", "-Command", loader };
            return argv.ToArray();
        }

        /// <summary>The command line of a pool worker: the job host in pooled mode, its job's
        /// runspace importing `module` (RJob's manifest, or none).</summary>
        internal static string[] PooledArgv(string? module)
        {
            var argv = (string[])Argv.Clone();
            string m = (module ?? "").Replace("'", "''");
            argv[^1] = argv[^1].Replace("[RJob.Host.JobHost]::Run()", $"[RJob.Host.JobHost]::RunPooled('{m}')");
            return argv;
        }

        /// <summary>The job host's stdin: the script and everything it runs with, as CLIXML.</summary>
        internal static byte[] Payload(string script, Hashtable? usings, object[]? arguments, List<object?>? input,
            string? initialization, string location, string? module, IDictionary<string, string>? environment, string? cwd)
        {
            var payload = new Hashtable
            {
                [HostPayload.Script] = script,
                [HostPayload.Location] = location,
                [HostPayload.RecordsFd] = RecordsChannel.HostFd,
            };
            if (usings != null) payload[HostPayload.Using] = usings;
            if (arguments != null) payload[HostPayload.Arguments] = arguments;
            if (input != null) payload[HostPayload.Input] = input.ToArray();
            if (initialization != null) payload[HostPayload.Initialization] = initialization;
            if (module != null) payload[HostPayload.Module] = module;
            if (environment != null)
            {
                // NAME=value strings: names are case-sensitive here, a deserialized hashtable's keys are not.
                var pairs = new List<string>(environment.Count);
                foreach (var kv in environment) pairs.Add(kv.Key + "=" + kv.Value);
                payload[HostPayload.Environment] = pairs.ToArray();
            }
            if (cwd != null) payload[HostPayload.WorkingDirectory] = cwd;
            return Encoding.UTF8.GetBytes(PSSerializer.Serialize(payload, PayloadDepth));
        }
    }
}
