// How a script job runs on another host, which needs only pwsh and rjob-supervisor: this assembly
// travels on the job's stdin ahead of the job. The remote pwsh runs a short loader (-Command) that
// reads a length header and the assembly (base64: the start spec's stdin is text), loads it from
// memory and runs the job host, which reads the CLIXML payload from the rest of stdin, as a local
// script job's host does (Jobs/ScriptLaunch.cs).
using System;
using System.IO;
using System.Text;
using RJob.Host;

namespace RJob.Jobs
{
    internal static class RemoteScriptLaunch
    {
        /// <summary>The remote pwsh when -PwshPath is not given: looked up on the host's PATH.</summary>
        internal const string DefaultPwsh = "pwsh";

        /// <summary>The payload's location: the remote process's directory (the remote home, or
        /// -WorkingDirectory). Nothing of this session's locations means anything there.</summary>
        internal const string Location = ".";

        // Hex digits of the length header.
        private const int HeaderLength = 8;

        // _r reads exactly $n bytes from the unbuffered stdin stream (read(2) returns no more than
        // asked), so the job host's own read starts right after the assembly. `,$b` keeps the
        // array whole (a function's output would be unrolled).
        private static readonly string s_loader =
            "$s=[Console]::OpenStandardInput();" +
            "function _r([int]$n){$b=[byte[]]::new($n);$o=0;while($o -lt $n){$r=$s.Read($b,$o,$n-$o);if($r -le 0){[Console]::Error.WriteLine('RJob: the job ended early on stdin');exit 2};$o+=$r};,$b}" +
            $"$n=[Convert]::ToInt32([Text.Encoding]::ASCII.GetString((_r {HeaderLength})),16);" +
            "$null=[Reflection.Assembly]::Load([Convert]::FromBase64String([Text.Encoding]::ASCII.GetString((_r $n))));" +
            "exit [RJob.Host.JobHost]::Run()";

        private static readonly Lazy<byte[]> s_assembly = new(() =>
            Encoding.ASCII.GetBytes(Convert.ToBase64String(File.ReadAllBytes(typeof(JobHost).Assembly.Location))));

        /// <summary>The remote command line: pwsh (a name looked up on the host's PATH, or a path)
        /// running the loader.</summary>
        internal static string[] Argv(string? pwsh) =>
            new[] { pwsh ?? DefaultPwsh, "-NoProfile", "-NonInteractive", "-NoLogo", "-Command", s_loader };

        /// <summary>The remote job's stdin: header, assembly, then the job host's payload.</summary>
        internal static byte[] Stdin(byte[] payload)
        {
            byte[] assembly = s_assembly.Value;
            byte[] header = Encoding.ASCII.GetBytes(assembly.Length.ToString("x" + HeaderLength));
            var all = new byte[header.Length + assembly.Length + payload.Length];
            header.CopyTo(all, 0);
            assembly.CopyTo(all, header.Length);
            payload.CopyTo(all, header.Length + assembly.Length);
            return all;
        }
    }
}
