// Start-RJob -HostName / -Session: the job's supervisor runs on that host, reached by the system's
// ssh (BatchMode, never a prompt). A native job runs the program as given on the host; a script
// job runs in the host's pwsh, which receives RJob's job host on stdin (Jobs/RemoteScriptLaunch.cs),
// so the host needs only pwsh and rjob-supervisor.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;
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

        /// <summary>Run the job on the host of this PSSession (over SSH): its host, user, port, key
        /// and ssh options.</summary>
        [Parameter]
        [ValidateNotNull]
        public PSSession? Session { get; set; }

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

        /// <summary>The pwsh a remote script job runs in: a path on the host, or a name looked up
        /// on the host's PATH (default pwsh).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? PwshPath { get; set; }

        private bool IsRemote => HostName != null || Session != null;

        private RemoteSpec? _remote;

        private RemoteSpec? Remote => IsRemote ? _remote ??= BuildRemote() : null;

        private bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);

        // Given parameters win over the session's settings; -Options adds to (or replaces) its options.
        private RemoteSpec BuildRemote()
        {
            SSHConnectionInfo? ci = Session == null ? null : SessionConnection(Session);
            var options = SessionOptions(ci);
            foreach (DictionaryEntry e in Options ?? new Hashtable())
            {
                options[e.Key.ToString()!] = LanguagePrimitives.ConvertTo<string>(e.Value) ?? "";
            }
            string? key = KeyFilePath ?? (string.IsNullOrEmpty(ci?.KeyFilePath) ? null : ci!.KeyFilePath);
            return new RemoteSpec
            {
                Host = HostName ?? ci!.ComputerName,
                User = UserName ?? (string.IsNullOrEmpty(ci?.UserName) ? null : ci!.UserName),
                Port = Bound(nameof(Port)) ? Port : ci?.Port > 0 ? ci.Port : null,
                KeyFile = key == null ? null : GetUnresolvedProviderPathFromPSPath(key),
                Options = options.Count > 0 ? options : null,
                SupervisorPath = SupervisorPath,
            };
        }

        // Only an open session over SSH says how to reach its host.
        private SSHConnectionInfo SessionConnection(PSSession s)
        {
            if (s.Runspace.ConnectionInfo is not SSHConnectionInfo ci)
            {
                ThrowTerminatingError(new ErrorRecord(new PSArgumentException(
                        $"Start-RJob -Session takes a PSSession over SSH (New-PSSession -HostName); session {s.Name} to {s.ComputerName} uses {s.Runspace.ConnectionInfo?.GetType().Name ?? "no connection"}."),
                    "SessionNotOverSsh", ErrorCategory.InvalidArgument, s));
                return null!;
            }
            var state = s.Runspace.RunspaceStateInfo.State;
            if (state != RunspaceState.Opened)
            {
                ThrowTerminatingError(new ErrorRecord(new PSInvalidOperationException(
                        $"Because the session state for session {s.Name}, {s.InstanceId}, {s.ComputerName} is not equal to Open, you cannot run a job through it. The session state is {state}."),
                    "InvalidSessionState", ErrorCategory.InvalidOperation, s));
            }
            return ci;
        }

        // The session's ssh options (host key alias, known hosts file...) are what let it connect;
        // SSHConnectionInfo keeps them in a non-public property, so they are read by reflection.
        private static SortedDictionary<string, string> SessionOptions(SSHConnectionInfo? ci)
        {
            var o = new SortedDictionary<string, string>(StringComparer.Ordinal);
            var prop = typeof(SSHConnectionInfo).GetProperty("Options", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            if (ci != null && prop?.GetValue(ci) is IDictionary given)
            {
                foreach (DictionaryEntry e in given) o[e.Key.ToString()!] = LanguagePrimitives.ConvertTo<string>(e.Value) ?? "";
            }
            return o;
        }

        // A remote job runs in the remote user's home with the environment sshd gives it: nothing
        // of this session's directory or environment means anything there.
        private StartSpec WithRemote(StartSpec spec)
        {
            if (HostName != null && Session != null)
            {
                ThrowTerminatingError(new ErrorRecord(new PSArgumentException("-HostName and -Session cannot be used together: the session names its host."),
                    "HostNameAndSession", ErrorCategory.InvalidArgument, null));
            }
            bool remoteOnly = !IsRemote && (UserName != null || KeyFilePath != null || Options != null
                || SupervisorPath != null || PwshPath != null || Bound(nameof(Port)));
            if (remoteOnly)
            {
                ThrowTerminatingError(new ErrorRecord(new PSArgumentException("-UserName, -Port, -KeyFilePath, -Options, -SupervisorPath and -PwshPath need -HostName or -Session."),
                    "RemoteParameterWithoutHostName", ErrorCategory.InvalidArgument, null));
            }
            if (Remote is not RemoteSpec remote) return spec;
            if (spec.Kind == LaunchPlan.ScriptKind)
            {
                spec.Argv = RemoteScriptLaunch.Argv(PwshPath); // its stdin: RemoteScriptLaunch.Stdin
            }
            else if (PwshPath != null)
            {
                ThrowTerminatingError(new ErrorRecord(new PSArgumentException("-PwshPath applies to script jobs; a native job runs its program directly."),
                    "PwshPathNotForNativeJob", ErrorCategory.InvalidArgument, PwshPath));
            }
            spec.Remote = remote;
            spec.Env = null;
            spec.Cwd = Bound(nameof(WorkingDirectory)) ? RemoteFolder(WorkingDirectory!) : null;
            return spec;
        }

        // A folder on the host; ~ is the remote home, where sshd starts the supervisor.
        private static string RemoteFolder(string dir) =>
            dir == "~" ? "." : dir.StartsWith("~/", StringComparison.Ordinal) ? "./" + dir[2..] : dir;
    }
}
