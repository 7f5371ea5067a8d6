function Remove-RJob {
    <#
    .SYNOPSIS
    Removes finished RJob jobs and their output.

    .DESCRIPTION
    Remove-RJob removes jobs from the session and frees their output. A job that is still
    running is not removed (an error, as with Remove-Job) unless -Force is used, which stops it
    first, killing its process tree at once.

    .PARAMETER Job
    The jobs to remove.

    .PARAMETER Id
    The ids of the jobs to remove.

    .PARAMETER Name
    The names of the jobs to remove; wildcards are allowed.

    .PARAMETER InstanceId
    The instance ids of the jobs to remove.

    .PARAMETER State
    Removes every job in this state.

    .PARAMETER Force
    Stops running jobs (SIGKILL to their whole tree) and removes them.

    .EXAMPLE
    Get-RJob -State Completed | Remove-RJob

    Removes the jobs that have completed.

    .EXAMPLE
    Remove-RJob -Name nightly -Force

    Stops the job named nightly if it still runs, and removes it.

    .INPUTS
    RJob.RJobJob

    .OUTPUTS
    None.

    .LINK
    Stop-RJob
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium', DefaultParameterSetName = 'SessionIdParameterSet')]
    param(
        [Parameter(Mandatory, Position = 0, ParameterSetName = 'JobParameterSet', ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [RJob.RJobJob[]] $Job,

        [Parameter(Mandatory, Position = 0, ParameterSetName = 'SessionIdParameterSet', ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [int[]] $Id,

        [Parameter(Mandatory, Position = 0, ParameterSetName = 'NameParameterSet', ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string[]] $Name,

        [Parameter(Mandatory, Position = 0, ParameterSetName = 'InstanceIdParameterSet', ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [guid[]] $InstanceId,

        [Parameter(Mandatory, Position = 0, ParameterSetName = 'StateParameterSet', ValueFromPipelineByPropertyName)]
        [System.Management.Automation.JobState] $State,

        [switch] $Force
    )
    process {
        foreach ($j in Resolve-RJob -Cmdlet $PSCmdlet -Bound $PSBoundParameters) {
            if (-not $j.IsFinished -and -not $Force) {
                $PSCmdlet.WriteError((New-RJobErrorRecord -ErrorId JobObjectNotFinishedCannotBeRemoved -Category InvalidOperation `
                            -TargetObject $j -Message "The command cannot remove the job with the job ID $($j.Id) because the job is not finished. To remove the job, first stop the job, or use the Force parameter."))
                continue
            }
            if (-not $PSCmdlet.ShouldProcess("Id: $($j.Id), Name: $($j.Name), Command: $($j.Command)", 'Remove')) { continue }
            try {
                if (-not $j.IsFinished) {
                    [RJob.Interop.Engine]::Stop([uint64[]]@($j.Id), $true, -1)
                    $null = Wait-RJobEngine -Ids ([uint64[]]@($j.Id))
                }
                [RJob.Interop.Engine]::Remove([uint64]$j.Id)
            }
            catch {
                $PSCmdlet.WriteError((ConvertFrom-RJobException $_.Exception -TargetObject $j))
            }
        }
    }
}
