# Runs in a fresh pwsh for bench/parts/StartStop.ps1: the ThreadJob side of the stop measure,
# apart, because ThreadJob's Stop-Job sometimes never returns (seen twice: a thread-pool thread
# in ThreadJob.SetJobState -> Runspace.Dispose -> RunspaceBase.CoreClose, waiting on an event).
# Here the caller can kill it at a time limit and go on. Warms up with 10 jobs, then starts
# -Count thread jobs and prints the milliseconds `Get-Job | Stop-Job` took.
param([int] $Count)
$ErrorActionPreference = 'Stop'
Import-Module Microsoft.PowerShell.ThreadJob

function Measure-ThreadStop([int] $n) {
    for ($i = 0; $i -lt $n; $i++) { $null = Start-ThreadJob { Start-Sleep 600 } }
    $deadline = [datetime]::UtcNow.AddSeconds(60)
    # ThreadJob's default throttle: 5 run, the rest are queued.
    while (@(Get-Job -State Running).Count -lt [math]::Min(5, $n)) {
        if ([datetime]::UtcNow -gt $deadline) { throw 'bench: thread jobs did not start' }
        Start-Sleep -Milliseconds 20
    }
    $w = [Diagnostics.Stopwatch]::StartNew()
    Get-Job | Stop-Job
    $ms = $w.Elapsed.TotalMilliseconds
    Get-Job | Remove-Job -Force
    $ms
}

$null = Measure-ThreadStop 10
Measure-ThreadStop $Count
