function Stop-RJob {
    <#
    .SYNOPSIS
    Stops RJob jobs and their whole process trees.

    .DESCRIPTION
    Stop-RJob stops running jobs and returns once they have stopped. A graceful stop sends
    SIGTERM to every process of the job (children, grandchildren, and processes that left the
    job's process group) and kills whatever is left when the grace period ends. -Force kills at
    once. All the jobs are signalled before Stop-RJob waits, so stopping many jobs takes one
    grace period, not one per job. Jobs that have already finished are skipped without a prompt.

    .PARAMETER Job
    The jobs to stop, as job objects (from Start-RJob or Get-RJob, or piped).

    .PARAMETER Id
    The ids of the jobs to stop.

    .PARAMETER Name
    The names of the jobs to stop; wildcards are allowed.

    .PARAMETER InstanceId
    The instance ids of the jobs to stop.

    .PARAMETER State
    Stops every job in this state.

    .PARAMETER Force
    Kills the jobs' processes at once (SIGKILL) instead of asking them to end first.

    .PARAMETER GraceSeconds
    Overrides each job's grace period (set by Start-RJob -GraceSeconds) for this stop.

    .PARAMETER PassThru
    Writes the stopped jobs to the pipeline.

    .EXAMPLE
    Stop-RJob -Id 3

    Stops job 3.

    .EXAMPLE
    Get-RJob -State Running | Stop-RJob -Force

    Kills every running job at once.

    .EXAMPLE
    Stop-RJob -Name build* -Confirm

    Asks before stopping each job whose name starts with "build".

    .INPUTS
    RJob.RJobJob

    .OUTPUTS
    None, or RJob.RJobJob with -PassThru.

    .LINK
    Start-RJob
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium', DefaultParameterSetName = 'SessionIdParameterSet')]
    [OutputType([RJob.RJobJob])]
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

        [switch] $Force,

        [ValidateRange('NonNegative')] # the engine refuses a grace period longer than it allows
        [double] $GraceSeconds = -1,

        [switch] $PassThru
    )
    begin {
        $toStop = [System.Collections.Generic.List[RJob.RJobJob]]::new()
        $passed = [System.Collections.Generic.List[RJob.RJobJob]]::new()
    }
    process {
        foreach ($j in Resolve-RJob -Cmdlet $PSCmdlet -Bound $PSBoundParameters) {
            if ($j.IsFinished) {
                $passed.Add($j)
                continue
            }
            if ($PSCmdlet.ShouldProcess("Id: $($j.Id), Name: $($j.Name), Command: $($j.Command)", 'Stop')) {
                $toStop.Add($j)
                $passed.Add($j)
            }
        }
    }
    end {
        if ($toStop.Count -gt 0) {
            [uint64[]] $ids = $toStop.Id
            try {
                $graceMs = if ($GraceSeconds -ge 0) { [long][Math]::Round($GraceSeconds * 1000) } else { -1 }
                [RJob.Interop.Engine]::Stop($ids, [bool]$Force, $graceMs)
                $null = Wait-RJobEngine -Ids $ids
            }
            catch {
                $PSCmdlet.WriteError((ConvertFrom-RJobException $_.Exception -TargetObject $toStop))
            }
        }
        if ($PassThru) { $passed }
    }
}
