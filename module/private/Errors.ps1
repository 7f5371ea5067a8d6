# Error records shaped like the built-in job cmdlets' (same ErrorIds, categories and texts), so
# scripts that handle Stop-Job's errors handle Stop-RJob's the same way.

function New-RJobErrorRecord {
    param(
        [Parameter(Mandatory)] [string] $Message,
        [Parameter(Mandatory)] [string] $ErrorId,
        [Parameter(Mandatory)] [System.Management.Automation.ErrorCategory] $Category,
        $TargetObject,
        [type] $ExceptionType = [System.Management.Automation.PSArgumentException]
    )
    $exception = $ExceptionType::new($Message)
    [System.Management.Automation.ErrorRecord]::new($exception, $ErrorId, $Category, $TargetObject)
}

function New-RJobNotFoundError {
    param([Parameter(Mandatory)] [ValidateSet('Id', 'Name', 'InstanceId')] [string] $By, [Parameter(Mandatory)] $Value)
    switch ($By) {
        'Id' {
            New-RJobErrorRecord -ErrorId JobWithSpecifiedSessionNotFound -Category ObjectNotFound -TargetObject $Value `
                -Message "The command cannot find a job with the job ID $Value. Verify the value of the Id parameter and then try the command again."
        }
        'Name' {
            New-RJobErrorRecord -ErrorId JobWithSpecifiedNameNotFound -Category ObjectNotFound -TargetObject $Value `
                -Message "The command cannot find the job because the job name $Value was not found. Verify the value of the Name parameter, and then try the command again."
        }
        'InstanceId' {
            New-RJobErrorRecord -ErrorId JobWithSpecifiedInstanceIdNotFound -Category ObjectNotFound -TargetObject $Value `
                -Message "The command cannot find a job with the instance identifier $Value. Verify the value of the InstanceId parameter, and then try the command again."
        }
    }
}

# The engine's failures as error records: the status picks the ErrorId and category.
function ConvertFrom-RJobException {
    param([Parameter(Mandatory)] [System.Exception] $Exception, $TargetObject)
    $e = $Exception
    while ($e -is [System.Management.Automation.MethodInvocationException] -and $e.InnerException) { $e = $e.InnerException }
    if ($e -isnot [RJob.Interop.RJobException]) {
        return [System.Management.Automation.ErrorRecord]::new($e, 'RJobError', 'NotSpecified', $TargetObject)
    }
    $category = switch ($e.Status) {
        'NotFound' { 'ObjectNotFound' }
        'JobActive' { 'InvalidOperation' }
        'SpawnFailed' { 'InvalidOperation' }
        'Timeout' { 'OperationTimeout' }
        { $_ -in 'InvalidArgument', 'InvalidJson', 'InvalidUtf8', 'NullPointer' } { 'InvalidArgument' }
        default { 'NotSpecified' }
    }
    [System.Management.Automation.ErrorRecord]::new($e, "RJob$($e.Status)", $category, $TargetObject)
}
