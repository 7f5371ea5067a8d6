// Get-RJobOption: the warm pool's settings and its idle workers now.
using System.Management.Automation;
using RJob.Pool;

namespace RJob.Commands
{
    [Cmdlet(VerbsCommon.Get, "RJobOption")]
    [OutputType(typeof(RJobOption))]
    public sealed class GetRJobOptionCommand : PSCmdlet
    {
        protected override void EndProcessing() => WriteObject(new RJobOption());
    }
}
