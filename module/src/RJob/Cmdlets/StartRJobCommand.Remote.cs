// Start-RJob -HostName: the job's supervisor runs on that host, reached by the system's ssh
// (BatchMode, never a prompt). Native jobs only for now: a script job would need pwsh and RJob.dll
// on the host, and a launch that finds them there.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using RJob.Interop;
using RJob.Jobs;

namespace RJob.Commands
{
    public sealed partial class StartRJobCommand
    {
        /// <summary>Run the job on this host, through ssh.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? HostName { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? UserName { get; set; }

        [Parameter]
        [ValidateRange(1, 65535)]
        public int Port { get; set; }

        /// <summary>The private key ssh authenticates with (ssh -i).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? KeyFilePath { get; set; }

        /// <summary>ssh options, each passed as -o Key=Value (as New-PSSession -Options).</summary>
        [Parameter]
        [ValidateNotNull]
        public Hashtable? Options { get; set; }

        /// <summary>rjob-supervisor's path on the host (default ~/.local/lib/rjob/rjob-supervisor,
        /// where Install-RJobRemote puts it).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? SupervisorPath { get; set; }

        private RemoteSpec? Remote => HostName == null ? null : new RemoteSpec
        {
            Host = HostName,
            User = UserName,
            Port = MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : null,
            KeyFile = KeyFilePath == null ? null : GetUnresolvedProviderPathFromPSPath(KeyFilePath),
            Options = SshOptions(),
            SupervisorPath = SupervisorPath,
        };

        private IDictionary<string, string>? SshOptions()
        {
            if (Options == null) return null;
            var o = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (DictionaryEntry e in Options) o[e.Key.ToString()!] = LanguagePrimitives.ConvertTo<string>(e.Value) ?? "";
            return o;
        }

        // A remote job runs in the remote user's home with the environment sshd gives it: nothing
        // of this session's directory or environment means anything there.
        private StartSpec WithRemote(StartSpec spec)
        {
            bool remoteOnly = HostName == null && (UserName != null || KeyFilePath != null || Options != null
                || SupervisorPath != null || MyInvocation.BoundParameters.ContainsKey(nameof(Port)));
            if (remoteOnly)
            {
                ThrowTerminatingError(new ErrorRecord(new PSArgumentException("-UserName, -Port, -KeyFilePath, -Options and -SupervisorPath need -HostName."),
                    "RemoteParameterWithoutHostName", ErrorCategory.InvalidArgument, null));
            }
            if (Remote is not RemoteSpec remote) return spec;
            if (spec.Kind == LaunchPlan.ScriptKind)
            {
                ThrowTerminatingError(new ErrorRecord(new PSNotSupportedException("Remote script jobs are not supported yet: use -FilePath <program> for a native job on the host."),
                    "RemoteScriptJobNotSupported", ErrorCategory.NotImplemented, HostName));
            }
            spec.Remote = remote;
            spec.Env = null;
            spec.Cwd = MyInvocation.BoundParameters.ContainsKey(nameof(WorkingDirectory)) ? WorkingDirectory : null;
            return spec;
        }
    }
}
