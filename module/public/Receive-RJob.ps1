function Receive-RJob {
    <#
    .SYNOPSIS
    Gets the output of RJob jobs.

    .DESCRIPTION
    Receive-RJob writes the output a job has produced so far: a script job's objects (restored
    from PowerShell's serializer, as Receive-Job gives them), errors, warnings, verbose, debug and
    information records, to the matching streams; a native job's stdout lines as strings and its
    stderr lines as errors. What is received is removed from the job unless -Keep is used.
    Output is streamed: with -Wait it is written as the job produces it, until the job ends.

    .PARAMETER Job
    The jobs to receive from.

    .PARAMETER Id
    The ids of the jobs to receive from.

    .PARAMETER Name
    The names of the jobs to receive from; wildcards are allowed.

    .PARAMETER InstanceId
    The instance ids of the jobs to receive from.

    .PARAMETER Keep
    Leaves the output in the job, so it can be received again.

    .PARAMETER Wait
    Goes on writing output as it comes, until the job has finished.

    .PARAMETER AutoRemoveJob
    With -Wait: removes the job once all its output has been received.

    .EXAMPLE
    Receive-RJob -Id 1

    Writes what job 1 has produced so far.

    .EXAMPLE
    Start-RJob { 1..3 } | Receive-RJob -Wait -AutoRemoveJob

    Runs a job, streams its output until it ends, then removes it.

    .INPUTS
    RJob.RJobJob

    .OUTPUTS
    System.Object

    .LINK
    Wait-RJob
    #>
    [CmdletBinding(DefaultParameterSetName = 'JobParameterSet')]
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

        [switch] $Keep,

        [switch] $Wait,

        [switch] $AutoRemoveJob
    )
    process {
        if ($AutoRemoveJob -and -not $Wait) {
            $PSCmdlet.ThrowTerminatingError((New-RJobErrorRecord -ErrorId AutoRemoveCannotBeUsedWithoutWait -Category InvalidArgument `
                        -Message 'The AutoRemoveJob parameter can only be used together with the Wait parameter.'))
        }
        foreach ($j in Resolve-RJob -Cmdlet $PSCmdlet -Bound $PSBoundParameters) {
            $receiver = [RJob.Receiver]::new($j, [bool]$Keep)
            try {
                while (-not $receiver.Done) {
                    # Short slices: output appears as it comes, and Ctrl+C is noticed in between.
                    $items = $receiver.Next($(if ($Wait) { 250 } else { 0 }))
                    foreach ($item in $items) {
                        switch ($item.Stream) {
                            'Output' { $PSCmdlet.WriteObject($item.Value) }
                            'Error' { $PSCmdlet.WriteError($item.Value) }
                            'Warning' { $PSCmdlet.WriteWarning($item.Value) }
                            'Verbose' { $PSCmdlet.WriteVerbose($item.Value) }
                            'Debug' { $PSCmdlet.WriteDebug($item.Value) }
                            'Information' { $PSCmdlet.WriteInformation($item.Value) }
                        }
                    }
                    if (-not $Wait -and $items.Count -eq 0) { break }
                }
                if ($AutoRemoveJob) { [RJob.Interop.Engine]::Remove([uint64]$j.Id) }
            }
            catch [System.Management.Automation.PipelineStoppedException] {
                throw
            }
            catch {
                $PSCmdlet.WriteError((ConvertFrom-RJobException $_.Exception -TargetObject $j))
            }
        }
    }
}
