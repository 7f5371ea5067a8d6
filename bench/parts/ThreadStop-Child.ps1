# Runs in a fresh pwsh for bench/parts/StartStop.ps1: the ThreadJob side of the stop measure,
# apart, because ThreadJob's Stop-Job sometimes never returns (seen twice: a thread-pool thread
# in ThreadJob.SetJobState -> Runspace.Dispose -> RunspaceBase.CoreClose, waiting on an event).
# Here the caller can kill it at a time limit and go on. Warms up with 10 jobs, then starts
# -Count thread jobs and prints the milliseconds `Get-Job | Stop-Job` took.
param([int] $Count)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot Common.ps1)
Import-Module Microsoft.PowerShell.ThreadJob

function Measure-ThreadStop([int] $n) {
    for ($i = 0; $i -lt $n; $i++) { $null = Start-ThreadJob { Start-Sleep 600 } }
    # ThreadJob's default throttle: 5 run, the rest are queued.
    Wait-Until { @(Get-Job -State Running).Count -ge [math]::Min(5, $n) } 60 'thread jobs running'
    $ms = Measure-Ms { Get-Job | Stop-Job }
    Get-Job | Remove-Job -Force
    $ms
}

$null = Measure-ThreadStop 10
Measure-ThreadStop $Count
