# Waits for jobs to finish in slices of at most 250 ms: the engine wakes the moment a job ends,
# and between slices PowerShell can act on Ctrl+C, so no wait ever hangs the shell.

function Wait-RJobEngine {
    param([Parameter(Mandatory)] [AllowEmptyCollection()] [uint64[]] $Ids, [switch] $Any, [int] $TimeoutSeconds = -1)
    $deadline = if ($TimeoutSeconds -ge 0) { [datetime]::UtcNow.AddSeconds($TimeoutSeconds) }
    do {
        $slice = 250
        if ($deadline) {
            $slice = [long][Math]::Max(0, [Math]::Min(250, [Math]::Ceiling(($deadline - [datetime]::UtcNow).TotalMilliseconds)))
        }
        if ([RJob.Interop.Engine]::Wait($Ids, [bool]$Any, $slice)) { return $true }
    } while (-not $deadline -or [datetime]::UtcNow -lt $deadline)
    $false
}
