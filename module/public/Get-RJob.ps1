function Get-RJob {
    <#
    .SYNOPSIS
    Gets RJob jobs of this session.

    .DESCRIPTION
    Get-RJob gets the jobs started with Start-RJob that have not been removed, in id order. The
    job objects are live: their State and HasMoreData always show the job as it is now.

    .PARAMETER Id
    Gets the jobs with these ids. An id that matches no job is an error.

    .PARAMETER Name
    Gets the jobs with these names. Wildcards are allowed; a name without wildcards that matches
    no job is an error.

    .PARAMETER InstanceId
    Gets the jobs with these instance ids.

    .PARAMETER State
    Gets only the jobs in this state.

    .EXAMPLE
    Get-RJob

    Lists every job, like Get-Job.

    .EXAMPLE
    Get-RJob -State Running | Stop-RJob

    Stops the jobs that are running.

    .EXAMPLE
    Get-RJob -Name build*

    Gets the jobs whose names start with "build".

    .INPUTS
    System.Int32, System.String, System.Guid (by property name).

    .OUTPUTS
    RJob.RJobJob

    .LINK
    Start-RJob
    #>
    [CmdletBinding(DefaultParameterSetName = 'SessionIdParameterSet')]
    [OutputType([RJob.RJobJob])]
    param(
        [Parameter(Position = 0, ParameterSetName = 'SessionIdParameterSet', ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [int[]] $Id,

        [Parameter(Mandatory, Position = 0, ParameterSetName = 'NameParameterSet', ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string[]] $Name,

        [Parameter(Mandatory, Position = 0, ParameterSetName = 'InstanceIdParameterSet', ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [guid[]] $InstanceId,

        [Parameter(Mandatory, Position = 0, ParameterSetName = 'StateParameterSet', ValueFromPipelineByPropertyName)]
        [System.Management.Automation.JobState] $State
    )
    process {
        Resolve-RJob -Cmdlet $PSCmdlet -Bound $PSBoundParameters
    }
}
