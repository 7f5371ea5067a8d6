// Set-RJobOption: the warm pool of script-job workers (Pool/WorkerPool.cs) for this session:
// how many idle workers it keeps (0: off) and for how long without a script job.
using System;
using System.IO;
using System.Management.Automation;
using RJob.Pool;

namespace RJob.Commands
{
    [Cmdlet(VerbsCommon.Set, "RJobOption", SupportsShouldProcess = true)]
    [OutputType(typeof(RJobOption))]
    public sealed class SetRJobOptionCommand : PSCmdlet
    {
        /// <summary>Idle workers to keep; 0 turns the pool off and ends its workers.</summary>
        [Parameter]
        [ValidateRange(0, PoolOptions.MaxSize)]
        public int PoolSize { get; set; }

        /// <summary>How long the workers stay without a script job (seconds or a TimeSpan).</summary>
        [Parameter]
        [SecondsArgument]
        [ValidateIdleTimeout]
        public TimeSpan PoolIdleTimeout { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void EndProcessing()
        {
            bool size = MyInvocation.BoundParameters.ContainsKey(nameof(PoolSize));
            bool idle = MyInvocation.BoundParameters.ContainsKey(nameof(PoolIdleTimeout));
            if ((size || idle) && ShouldProcess("RJob worker pool", Describe(size, idle)))
            {
                WorkerPool.Configure(size ? PoolSize : null, idle ? PoolIdleTimeout : null, ModuleManifest());
            }
            if (PassThru) WriteObject(new RJobOption());
        }

        private string Describe(bool size, bool idle) =>
            (size ? $"size {PoolSize}" : "") + (size && idle ? ", " : "") + (idle ? $"idle timeout {PoolIdleTimeout}" : "");

        // The manifest script jobs import (as Start-RJob computes it), for the workers to import.
        private string? ModuleManifest()
        {
            string? moduleBase = MyInvocation.MyCommand.Module?.ModuleBase;
            if (moduleBase == null) return null;
            string manifest = Path.Combine(moduleBase, "RJob.psd1");
            return File.Exists(manifest) ? manifest : null;
        }
    }
}
