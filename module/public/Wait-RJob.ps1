function Wait-RJob {
    <#
    .SYNOPSIS
    Waits until RJob jobs have finished.

    .DESCRIPTION
    Wait-RJob waits until all the given jobs (or, with -Any, one of them) have finished, that is
    Completed, Failed or Stopped, and then writes those jobs. If -Timeout passes first it writes
    nothing, like Wait-Job. Ctrl+C ends the wait; the jobs go on.

    .PARAMETER Job
    The jobs to wait for.

    .PARAMETER Id
    The ids of the jobs to wait for.

    .PARAMETER Name
    The names of the jobs to wait for; wildcards are allowed.

    .PARAMETER InstanceId
    The instance ids of the jobs to wait for.

    .PARAMETER State
    Waits for the jobs in this state.

    .PARAMETER Any
    Returns as soon as any one of the jobs has finished.

    .PARAMETER Timeout
    The longest wait in seconds; -1 (the default) waits without limit.

    .EXAMPLE
    Get-RJob | Wait-RJob

    Waits for every job.

    .EXAMPLE
    $first = Wait-RJob -Id 1, 2, 3 -Any -Timeout 30

    Waits up to 30 seconds for the first of three jobs.

    .INPUTS
    RJob.RJobJob

    .OUTPUTS
    RJob.RJobJob

    .LINK
    Receive-RJob
    #>
    [CmdletBinding(DefaultParameterSetName = 'SessionIdParameterSet')]
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

        [switch] $Any,

        [Alias('TimeoutSec')]
        [ValidateRange(-1, [int]::MaxValue)]
        [int] $Timeout = -1
    )
    begin {
        $jobs = [System.Collections.Generic.List[RJob.RJobJob]]::new()
    }
    process {
        foreach ($j in Resolve-RJob -Cmdlet $PSCmdlet -Bound $PSBoundParameters) { $jobs.Add($j) }
    }
    end {
        if ($jobs.Count -eq 0) { return }
        try {
            $done = Wait-RJobEngine -Ids ([uint64[]]$jobs.Id) -Any:$Any -TimeoutSeconds $Timeout
        }
        catch {
            $PSCmdlet.WriteError((ConvertFrom-RJobException $_.Exception -TargetObject $jobs))
            return
        }
        if ($done) { $jobs | Where-Object IsFinished }
    }
}
