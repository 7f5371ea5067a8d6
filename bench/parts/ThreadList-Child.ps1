# Runs in a fresh pwsh for bench/parts/List.ps1: the ThreadJob side of the listing measure, apart,
# because clearing 10,000 thread jobs takes ThreadJob's Stop-Job, which sometimes never returns
# (seen here too, waiting in ThreadJob.SetJobState; see ThreadStop-Child.ps1). This process ends
# without stopping them, and the caller kills it at a time limit. Starts -Count thread jobs, queued
# behind one that sleeps, and prints the median milliseconds of -Rounds `Get-Job` listings.
param([int] $Count, [int] $Rounds)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot Common.ps1)
Import-Module Microsoft.PowerShell.ThreadJob

$null = Start-ThreadJob -ScriptBlock { Start-Sleep -Seconds 3600 } -ThrottleLimit 1
for ($i = 1; $i -lt $Count; $i++) { $null = Start-ThreadJob -ScriptBlock {} }
if (@(Get-Job).Count -ne $Count) { throw "bench: Get-Job did not list $Count thread jobs" }
Measure-Median { Get-Job } $Rounds
# At once: closing the runspace would stop the jobs, which is what may hang.
[Environment]::Exit(0)
