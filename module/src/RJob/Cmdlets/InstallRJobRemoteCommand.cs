// Install-RJobRemote: copies this module's rjob-supervisor to a host over ssh, so that remote jobs
// (Start-RJob -HostName / -Session) find it at the path the engine looks at by default. One ssh
// asks for the installed copy's SHA-256 (an identical copy is left alone unless -Force); a second
// streams the binary into a temporary name beside the target, checks its size, sets mode 0700 and
// renames it over the target, so a job starting meanwhile sees the old copy or the new one, never
// half of one. The remote commands are POSIX sh, started through the user's login shell as sshd
// starts every command.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using RJob.Interop;

namespace RJob.Commands
{
    [Cmdlet(VerbsLifecycle.Install, "RJobRemote", SupportsShouldProcess = true)]
    [OutputType(typeof(PSObject))]
    public sealed class InstallRJobRemoteCommand : PSCmdlet, IDisposable
    {
        // Prints the SHA-256 of $1 when it is a file; nothing otherwise, or when the host has no
        // tool for it (then the copy is made: only ssh's own failure is an error here).
        private const string CheckScript = "if [ -f \"$1\" ]; then { sha256sum || shasum -a 256; } < \"$1\" 2>/dev/null; fi; exit 0";

        // Into a temporary name in the target's folder (created 0700), the size checked, then one rename.
        private const string CopyScript =
            "umask 077; p=$1; d=$(dirname -- \"$p\"); mkdir -p -- \"$d\" || exit 1; t=$d/.rjob-supervisor.$$.tmp; " +
            "if cat > \"$t\" && [ \"$(wc -c < \"$t\")\" -eq \"$2\" ] && chmod 700 \"$t\" && mv -f -- \"$t\" \"$p\"; then exit 0; fi; " +
            "rm -f -- \"$t\"; echo \"copying to $p failed or was cut short\" >&2; exit 1";

        private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(60);
        private static readonly TimeSpan CopyTimeout = TimeSpan.FromMinutes(5);

        private readonly ManualResetEventSlim _stop = new();

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("ComputerName")]
        [ValidateNotNullOrEmpty]
        public string[]? HostName { get; set; }

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

        /// <summary>ssh options, each passed as -o Key=Value (as Start-RJob -Options).</summary>
        [Parameter]
        [ValidateNotNull]
        public Hashtable? Options { get; set; }

        /// <summary>Where on the host (default ~/.local/lib/rjob/rjob-supervisor, where remote jobs
        /// look); relative paths are taken from the remote home.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? SupervisorPath { get; set; }

        /// <summary>Copy even when an identical copy is installed.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        private string? _local;
        private string? _sha256;
        private long _length;

        protected override void BeginProcessing()
        {
            _local = Path.Combine(Path.GetDirectoryName(typeof(InstallRJobRemoteCommand).Assembly.Location)!, Native.Rid, "rjob-supervisor");
            try
            {
                using var f = File.OpenRead(_local);
                _length = f.Length;
                _sha256 = Convert.ToHexString(SHA256.HashData(f)).ToLowerInvariant();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ThrowTerminatingError(new ErrorRecord(new FileNotFoundException($"This RJob module has no rjob-supervisor to copy ({_local}): {e.Message}", _local, e),
                    "SupervisorNotFound", ErrorCategory.ObjectNotFound, _local));
            }
        }

        protected override void ProcessRecord()
        {
            foreach (var host in HostName!)
            {
                if (_stop.IsSet) return;
                SshCommand ssh;
                try
                {
                    ssh = Engine.SshCommand(Remote(host));
                }
                catch (RJobException e)
                {
                    WriteError(new ErrorRecord(e, "InvalidRemote", ErrorCategory.InvalidArgument, host));
                    continue;
                }
                if (!ShouldProcess($"{host}: {ssh.SupervisorPath}", "Install rjob-supervisor")) continue;
                try
                {
                    WriteObject(Install(host, ssh));
                }
                catch (RemoteInstallException e)
                {
                    WriteError(new ErrorRecord(e, "RemoteInstallFailed", e.Connection ? ErrorCategory.ConnectionError : ErrorCategory.WriteError, host));
                }
            }
        }

        // Where and how remote jobs reach the host: the engine builds the ssh command from this.
        private RemoteSpec Remote(string host)
        {
            var options = new Dictionary<string, string>();
            foreach (DictionaryEntry e in Options ?? new Hashtable()) options[e.Key.ToString()!] = LanguagePrimitives.ConvertTo<string>(e.Value) ?? "";
            return new RemoteSpec
            {
                Host = host,
                User = UserName,
                Port = MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : null,
                KeyFile = KeyFilePath == null ? null : GetUnresolvedProviderPathFromPSPath(KeyFilePath),
                Options = options.Count > 0 ? options : null,
                SupervisorPath = SupervisorPath,
            };
        }

        private PSObject Install(string host, SshCommand ssh)
        {
            string path = ssh.SupervisorPath;
            if (!Force)
            {
                var (code, stdout, stderr) = Ssh(ssh, $"sh -c {Quote(CheckScript)} rjob-install {Quote(path)}", null, CheckTimeout);
                if (code != 0) throw Failure(host, code, stderr);
                string installed = stdout.Split(' ', 2)[0].Trim();
                WriteVerbose($"{host}: {path} has SHA-256 {(installed.Length > 0 ? installed : "(none: not installed)")}; this module's is {_sha256}");
                if (installed == _sha256) return Result(host, path, "UpToDate");
            }
            using (var binary = File.OpenRead(_local!))
            {
                var (code, _, stderr) = Ssh(ssh, $"sh -c {Quote(CopyScript)} rjob-install {Quote(path)} {_length}", binary, CopyTimeout);
                if (code != 0) throw Failure(host, code, stderr);
            }
            return Result(host, path, "Installed");
        }

        private PSObject Result(string host, string path, string action)
        {
            var o = new PSObject();
            o.TypeNames.Insert(0, "RJob.RemoteInstall");
            o.Properties.Add(new PSNoteProperty("HostName", host));
            o.Properties.Add(new PSNoteProperty("Path", path));
            o.Properties.Add(new PSNoteProperty("Action", action));
            o.Properties.Add(new PSNoteProperty("Sha256", _sha256));
            return o;
        }

        private static RemoteInstallException Failure(string host, int? code, string stderr)
        {
            string said = string.Join(' ', stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(l => !l.StartsWith("@@@", StringComparison.Ordinal)));
            string how = code == null ? "timed out" : $"exit {code}";
            return new RemoteInstallException($"Install-RJobRemote on {host} failed ({how}){(said.Length > 0 ? ": " + said : "")}", connection: code is null or 255);
        }

        // ssh as remote jobs run it (the engine's command: never a prompt), with `command` on the host.
        private (int? Code, string Stdout, string Stderr) Ssh(SshCommand ssh, string command, Stream? stdin, TimeSpan timeout)
        {
            var psi = new ProcessStartInfo(ssh.Argv[0])
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var a in ssh.Argv.Skip(1)) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add(command);

            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            // On its own task, so the deadline and Ctrl+C hold while ssh is not reading.
            var feed = Task.Run(() =>
            {
                try
                {
                    stdin?.CopyTo(p.StandardInput.BaseStream);
                    p.StandardInput.Close();
                }
                catch (IOException) { } // ssh ended early: its exit code and stderr say why
            });
            var deadline = DateTime.UtcNow + timeout;
            while (!p.WaitForExit(50))
            {
                if (_stop.IsSet || DateTime.UtcNow > deadline)
                {
                    try { p.Kill(); } catch (InvalidOperationException) { }
                    p.WaitForExit();
                    if (_stop.IsSet) throw new PipelineStoppedException();
                    return (null, stdout.Result, stderr.Result);
                }
            }
            p.WaitForExit();
            feed.Wait();
            return (p.ExitCode, stdout.Result, stderr.Result);
        }

        // POSIX shell single quotes: the remote command goes through the user's login shell.
        private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

        protected override void StopProcessing() => _stop.Set();

        public void Dispose() => _stop.Dispose();

        private sealed class RemoteInstallException : IOException
        {
            internal RemoteInstallException(string message, bool connection) : base(message) { Connection = connection; }

            /// <summary>ssh itself failed (exit 255) or timed out: the host was not reached.</summary>
            internal bool Connection { get; }
        }
    }
}
