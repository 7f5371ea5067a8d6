# Listing speed (issue 6, "Speed"): Get-RJob and Get-Job over many RJob jobs, next to Get-Job over
# as many thread jobs; Get-RJob -Id with many ids, and a tenth as many (linear: the time per id
# stays the same), next to Get-Job -Id over thread jobs; and reading $job.State on every job.
# Medians of -Rounds rounds, wall-clock milliseconds, in one run:
#   .tools/pwsh/pwsh -NoProfile -File bench/Get-Jobs.ps1 [-Count 10000] [-IdCount 1000] [-Rounds 5]
# A listing costs the same whatever the jobs' state, so the jobs are the cheapest to have many of:
# RJob jobs that ran `true` and ended (10,000 running ones would be 20,000 processes), and thread
# jobs queued behind one that sleeps (each thread job that runs costs pwsh a new runspace, about
# 80 ms here). A benchmark, not a test.
param(
    [int] $Count = 10000,
    [int] $IdCount = 1000,
    [int] $Rounds = 5,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../module/RJob.psd1')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
Import-Module Microsoft.PowerShell.ThreadJob

function Measure-Median([scriptblock] $Block) {
    $null = & $Block # warm-up: the first call compiles the command and fills caches
    $times = foreach ($r in 1..$Rounds) {
        $w = [Diagnostics.Stopwatch]::StartNew(); $null = & $Block; $w.Elapsed.TotalMilliseconds
    }
    $sorted = @($times | Sort-Object)
    $sorted[[int][math]::Floor(($sorted.Count - 1) / 2)]
}

# Waits (with a deadline) until none of $Jobs is NotStarted or Running.
function Wait-Finished($Jobs, [int] $TimeoutSeconds = 600) {
    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (@($Jobs.Where({ $_.State -in 'NotStarted', 'Running' }, 'First')).Count) {
        if ([datetime]::UtcNow -gt $deadline) { throw "jobs still running after $TimeoutSeconds s" }
        Start-Sleep -Milliseconds 100
    }
}

function New-Row([string] $Measure, [scriptblock] $Block, [string] $Baseline) {
    $objects = @(& $Block).Count
    [pscustomobject]@{ Measure = $Measure; Objects = $objects; MedianMs = (Measure-Median $Block); Baseline = $Baseline }
}

Get-Job | Remove-Job -Force
$heap0 = [GC]::GetTotalMemory($true)
$w = [Diagnostics.Stopwatch]::StartNew()
$rjobs = [System.Collections.Generic.List[object]]::new($Count)
for ($i = 0; $i -lt $Count; $i++) { $rjobs.Add((Start-RJob -FilePath true)) }
Wait-Finished $rjobs
Write-Host ("started {0:N0} RJob jobs in {1:N1} s; managed heap {2:N1} KiB per job" -f $Count, $w.Elapsed.TotalSeconds, (([GC]::GetTotalMemory($true) - $heap0) / 1KB / $Count))
$rids = [int[]]($rjobs | Get-Random -Count $IdCount).Id
$rfew = $rids[0..([math]::Max(1, [int]($IdCount / 10)) - 1)]

$rows = [System.Collections.Generic.List[object]]::new()
$rows.Add((New-Row "Get-RJob, $Count RJob jobs" { Get-RJob } 'tj'))
$rows.Add((New-Row "Get-Job, the same $Count RJob jobs" { Get-Job } 'tj'))
$rows.Add((New-Row "Get-RJob -Id, $($rfew.Count) ids" { Get-RJob -Id $rfew } 'tjfew'))
$rows.Add((New-Row "Get-RJob -Id, $IdCount ids" { Get-RJob -Id $rids } 'tjid'))
$rows.Add((New-Row "`$job.State, $Count RJob jobs" { foreach ($j in $rjobs) { $j.State } } 'tjstate'))
$rjobs | Remove-RJob -Force
$rjobs = $null

$heap0 = [GC]::GetTotalMemory($true)
$w.Restart()
$tjobs = [System.Collections.Generic.List[object]]::new($Count)
$tjobs.Add((Start-ThreadJob -ScriptBlock { Start-Sleep -Seconds 3600 } -ThrottleLimit 1))
for ($i = 1; $i -lt $Count; $i++) { $tjobs.Add((Start-ThreadJob -ScriptBlock {})) }
Write-Host ("queued {0:N0} thread jobs in {1:N1} s; managed heap {2:N1} KiB per job" -f $Count, $w.Elapsed.TotalSeconds, (([GC]::GetTotalMemory($true) - $heap0) / 1KB / $Count))
$tids = [int[]]($tjobs | Get-Random -Count $IdCount).Id
$tfew = $tids[0..($rfew.Count - 1)]
$baselines = @{
    tj      = New-Row "Get-Job, $Count thread jobs" { Get-Job }
    tjfew   = New-Row "Get-Job -Id, $($tfew.Count) ids of thread jobs" { Get-Job -Id $tfew }
    tjid    = New-Row "Get-Job -Id, $IdCount ids of thread jobs" { Get-Job -Id $tids }
    tjstate = New-Row "`$job.State, $Count thread jobs" { foreach ($j in $tjobs) { $j.State } }
}
$tjobs | Remove-Job -Force

"Medians of $Rounds rounds after one warm-up; ratio = time / the thread-job baseline below it (issue 6 asks <= 2x for the listings)."
$perObject = { param($r) if ($r.Objects) { '{0:N1}' -f ($r.MedianMs * 1000 / $r.Objects) } else { '-' } }
$table = foreach ($key in 'tj', 'tjfew', 'tjid', 'tjstate') {
    $base = $baselines[$key]
    foreach ($row in $rows.Where({ $_.Baseline -eq $key })) {
        [pscustomobject]@{ Measure = $row.Measure; Objects = $row.Objects; 'Median ms' = '{0:N1}' -f $row.MedianMs; 'us/object' = & $perObject $row; Ratio = 'x{0:N2}' -f ($row.MedianMs / [math]::Max($base.MedianMs, 0.001)) }
    }
    [pscustomobject]@{ Measure = "  baseline: $($base.Measure)"; Objects = $base.Objects; 'Median ms' = '{0:N1}' -f $base.MedianMs; 'us/object' = & $perObject $base; Ratio = 'x1.00' }
}
$table | Format-Table -AutoSize | Out-String -Width 200
