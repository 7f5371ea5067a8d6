// Start-RJob: starts a background job, as Start-Job does, on RJob's engine.
//   Start-RJob { script }            a script job: the script runs in a child pwsh (RJob.Script)
//   Start-RJob -FilePath x.ps1       a script job running that script file
//   Start-RJob -FilePath program     a native job: the program runs directly, no shell (RJob.Native)
// Pipeline input becomes the job's $input (a native job's stdin, one line per object); the job
// starts once the input has ended, so `1..3 | Start-RJob { $input }` is one job seeing 1, 2, 3.
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Internal;
using System.Management.Automation.Language;
using System.Text;
using RJob.Interop;
using RJob.Jobs;

namespace RJob.Commands
{
    [Cmdlet(VerbsLifecycle.Start, "RJob", DefaultParameterSetName = ScriptBlockSet)]
    [OutputType(typeof(RJobJob))]
    public sealed partial class StartRJobCommand : PSCmdlet
    {
        private const string ScriptBlockSet = "ScriptBlock";
        private const string FilePathSet = "FilePath";
        private const string LiteralPathSet = "LiteralFilePath";

        private readonly List<object?> _input = new();
        private bool _hasInput;
        private string _location = "";
        private string _cwd = "";

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = ScriptBlockSet)]
        [Alias("Command")]
        [ValidateNotNull]
        public ScriptBlock? ScriptBlock { get; set; }

        /// <summary>A script file (*.ps1) to run as a script job, or a program (a path, or a name
        /// found on PATH) to run as a native job.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = FilePathSet)]
        [ValidateNotNullOrEmpty]
        public string? FilePath { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string? LiteralPath { get; set; }

        /// <summary>Runs before the script, in the same runspace (script jobs).</summary>
        [Parameter(Position = 1)]
        [ValidateNotNull]
        public ScriptBlock? InitializationScript { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        [Parameter(ValueFromPipeline = true)]
        public PSObject? InputObject { get; set; } = AutomationNull.Value;

        [Parameter]
        [Alias("Args")]
        public object[]? ArgumentList { get; set; }

        /// <summary>Where the job starts; a PowerShell path (Temp:/) stays that location in a script job.</summary>
        [Parameter]
        [ValidateNotNullOrWhiteSpace]
        public string? WorkingDirectory { get; set; }

        /// <summary>The most jobs that run at once in this session, from now on (0: no limit, the
        /// default); jobs beyond it wait NotStarted and start in order.</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int ThrottleLimit { get; set; }

        /// <summary>Seconds between SIGTERM and SIGKILL when the job is stopped (default 5).</summary>
        [Parameter]
        [ValidateRange(0, 86400)]
        public double GraceSeconds { get; set; }

        /// <summary>How a native job's output is decoded, and its input encoded (default UTF-8).</summary>
        [Parameter]
        [EncodingArgument]
        [ArgumentCompleter(typeof(EncodingCompleter))]
        public Encoding? Encoding { get; set; }

        protected override void BeginProcessing()
        {
            if (!IsRemote) ResolveWorkingDirectory(); // a remote folder is the host's business
            if (MyInvocation.BoundParameters.ContainsKey(nameof(ThrottleLimit))) ThrottleQueue.SetLimit(ThrottleLimit);
        }

        protected override void ProcessRecord()
        {
            if (InputObject == AutomationNull.Value) return;
            _input.Add(InputObject);
            _hasInput = true;
            InputObject = AutomationNull.Value;
        }

        protected override void EndProcessing()
        {
            LaunchPlan plan;
            string command;
            try
            {
                (plan, command) = ParameterSetName == ScriptBlockSet ? ScriptJob(ScriptBlock!) : FileJob();
            }
            catch (RuntimeException e) when (e.ErrorRecord != null && e is not PipelineStoppedException)
            {
                ThrowTerminatingError(e.ErrorRecord);
                return;
            }
            if (plan == null) return;

            var job = new RJobJob(command, Name, plan);
            Register(job);
            if (ThrottleQueue.Enqueue(job) is Exception failure)
            {
                // It never ran: one error, and no job left behind.
                job.RemoveFromSession();
                job.Dispose();
                WriteError(JobErrors.FromEngine(failure, command));
                return;
            }
            WriteObject(job);
        }

        // ---- What to run ----

        private (LaunchPlan, string) ScriptJob(ScriptBlock block)
        {
            string text = block.ToString();
            return (Script(text, block.Ast, text), text);
        }

        private (LaunchPlan, string) FileJob()
        {
            string path = FilePath ?? LiteralPath!;
            if (path.EndsWith(".ps1", StringComparison.OrdinalIgnoreCase)) return ScriptFile(path);

            // A path is taken relative to the current location (and ~ expanded); a name is found on
            // PATH. An absolute path is already the file system's: PowerShell's resolution would
            // only re-read /proc/self/mountinfo (a tenth of a millisecond a start).
            string target = path.StartsWith('/') ? path
                : path.Contains('/') || path.StartsWith('~') ? GetUnresolvedProviderPathFromPSPath(path) : path;
            string? exe = Remote != null ? path : Executable.Find(target, _cwd);
            if (exe == null)
            {
                var e = new CommandNotFoundException($"The term '{path}' is not recognized as a name of an executable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.");
                WriteError(new ErrorRecord(e, "CommandNotFoundException", ErrorCategory.ObjectNotFound, path));
                return (null!, "");
            }
            if (InitializationScript != null)
            {
                ThrowTerminatingError(new ErrorRecord(new PSArgumentException("-InitializationScript applies to script jobs; a native job runs a program directly."),
                    "InitializationScriptNotForNativeJob", ErrorCategory.InvalidArgument, InitializationScript));
            }
            var argv = new List<string> { exe };
            foreach (var a in ArgumentList ?? Array.Empty<object>()) argv.Add(LanguagePrimitives.ConvertTo<string>(a) ?? "");
            var encoding = Encoding ?? new UTF8Encoding(false);
            var shown = new List<string>(argv) { [0] = path };
            string command = string.Join(' ', shown);
            var spec = Spec(argv.ToArray(), command, LaunchPlan.NativeKind, _hasInput ? encoding.GetBytes(StdinText()) : null, records: false);
            return (new LaunchPlan(spec, LaunchPlan.NativeKind, encoding), command);
        }

        private (LaunchPlan, string) ScriptFile(string path)
        {
            string file;
            try
            {
                file = LiteralPath != null ? GetUnresolvedProviderPathFromPSPath(path) : SingleResolvedPath(path);
            }
            catch (Exception e) when (e is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or PSArgumentException)
            {
                ThrowTerminatingError(new ErrorRecord(e, "FileNotFound", ErrorCategory.ObjectNotFound, path));
                return (null!, "");
            }
            var ast = Parser.ParseFile(file, out _, out ParseError[] errors);
            if (errors.Length > 0)
            {
                ThrowTerminatingError(new ErrorRecord(new ParseException(errors), "ScriptFileParseError", ErrorCategory.ParserError, file));
            }
            return (Script(ast.Extent.Text, ast, file), file);
        }

        private string SingleResolvedPath(string path)
        {
            var paths = GetResolvedProviderPathFromPSPath(path, out var provider);
            if (provider.Name != "FileSystem" || paths.Count != 1)
            {
                throw new PSArgumentException($"-FilePath must name one script file; '{path}' resolves to {paths.Count}.");
            }
            return paths[0];
        }

        private LaunchPlan Script(string text, Ast ast, string command)
        {
            var usings = UsingValues.Collect(ast, this);
            var spec = Spec(ScriptLaunch.Argv, command, LaunchPlan.ScriptKind, null, RecordsChannel.EnginePipe);
            string? module = IsRemote ? null : ModuleManifest();
            // The environment and directory go in the payload too: a pool worker applies them.
            byte[] payload = ScriptLaunch.Payload(text, usings, ArgumentList, _hasInput ? _input : null,
                InitializationScript?.ToString(), IsRemote ? RemoteScriptLaunch.Location : _location, module, spec.Env, spec.Cwd);
            spec.Stdin = IsRemote ? RemoteScriptLaunch.Stdin(payload) : payload;
            return new LaunchPlan(spec, LaunchPlan.ScriptKind, new UTF8Encoding(false)) { Module = module };
        }

        private StartSpec Spec(string[] argv, string command, string kind, byte[]? stdin, bool records)
        {
            var env = new Dictionary<string, string>();
            foreach (DictionaryEntry e in Environment.GetEnvironmentVariables()) env[(string)e.Key] = e.Value?.ToString() ?? "";
            return WithRemote(new StartSpec
            {
                Argv = argv,
                Name = Name,
                Command = command,
                Kind = kind,
                Cwd = _cwd,
                Env = env,
                GraceMs = MyInvocation.BoundParameters.ContainsKey(nameof(GraceSeconds)) ? (long)Math.Round(GraceSeconds * 1000) : null,
                Stdin = stdin,
                Records = records,
            });
        }

        // A native job's input: one line per object, as text.
        private string StdinText()
        {
            var text = new StringBuilder();
            foreach (var item in _input) text.Append(LanguagePrimitives.ConvertTo<string>(item)).Append('\n');
            return text.ToString();
        }

        // So a script job can start jobs of its own, its runspace imports this RJob.
        private string? ModuleManifest()
        {
            string? moduleBase = MyInvocation.MyCommand.Module?.ModuleBase;
            if (moduleBase == null) return null;
            string manifest = Path.Combine(moduleBase, "RJob.psd1");
            return File.Exists(manifest) ? manifest : null;
        }

        // ---- Where it runs ----

        // -WorkingDirectory must name an existing file system folder (a terminating error
        // otherwise, as with Start-Job); without it the job starts where the caller is.
        private void ResolveWorkingDirectory()
        {
            if (WorkingDirectory == null)
            {
                var here = SessionState.Path.CurrentLocation;
                if (here.Provider.Name != "FileSystem") here = SessionState.Path.CurrentFileSystemLocation;
                _location = here.Path;
                _cwd = ProviderPathOf(here);
                return;
            }
            string? cwd = null;
            try
            {
                if (InvokeProvider.Item.IsContainer(WorkingDirectory))
                {
                    cwd = SessionState.Path.GetUnresolvedProviderPathFromPSPath(WorkingDirectory, out var provider, out _);
                    if (provider.Name != "FileSystem") cwd = null;
                }
            }
            catch (Exception e) when (e is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or ArgumentException or NotSupportedException)
            {
                cwd = null;
            }
            if (cwd == null)
            {
                ThrowTerminatingError(new ErrorRecord(new DirectoryNotFoundException($"Cannot find the WorkingDirectory path {WorkingDirectory}."),
                    "DirectoryNotFoundException", ErrorCategory.InvalidOperation, null));
            }
            _cwd = cwd!;
            _location = IsRooted(WorkingDirectory) ? WorkingDirectory : SessionState.Path.Combine(SessionState.Path.CurrentLocation.Path, WorkingDirectory);
        }

        // The last location resolved: PathInfo.ProviderPath resolves the path through the provider
        // on every call, re-reading /proc/self/mountinfo (0.18 ms of each start). The same path on
        // a drive with the same root is the same folder.
        private sealed record ResolvedLocation(string Path, string? Root, string ProviderPath);
        private static ResolvedLocation? s_lastLocation;

        private static string ProviderPathOf(PathInfo here)
        {
            string? root = here.Drive?.Root;
            if (s_lastLocation is { } last && last.Path == here.Path && last.Root == root) return last.ProviderPath;
            string resolved = here.ProviderPath;
            s_lastLocation = new ResolvedLocation(here.Path, root, resolved);
            return resolved;
        }

        // "/x", "~/x" or "Drive:..." (a relative path is taken from the current location).
        private static bool IsRooted(string path)
        {
            if (path.StartsWith('/') || path.StartsWith('~')) return true;
            int colon = path.IndexOf(':');
            return colon > 0 && path.AsSpan(0, colon).IndexOfAny("/\\".AsSpan()) < 0;
        }

        // ---- Registration ----

        // Through the JobManager, as ThreadJob does, so the adapter is PowerShell's way to the job.
        private void Register(RJobJob job)
        {
            var definition = new JobDefinition(typeof(RJobSourceAdapter), job.Command, job.Name);
            var parameters = new Dictionary<string, object> { [RJobSourceAdapter.NewJobKey] = job };
            try
            {
                JobManager.NewJob(new JobInvocationInfo(definition, parameters));
            }
            catch (InvalidOperationException)
            {
                // This runspace has RJob's types but never imported the module: no adapter here.
                JobTable.Add(job);
            }
        }
    }
}
