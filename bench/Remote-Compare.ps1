# Remote jobs: RJob (Start-RJob -Session / -HostName, over its own ssh with ControlMaster) next to
# PowerShell's own remote jobs (Invoke-Command -Session <ssh session> -AsJob), in one run against
# the test sshd harness (tests/pester/SshHosts.ps1: a real sshd on 127.0.0.1, as root). Run it
# with the project's pwsh after a build:
#   .tools/pwsh/pwsh -NoProfile -File bench/Remote-Compare.ps1 [-Jobs 10] [-PipeHolder]
# Prints, per kind: the 1st and the 10th job's start to Running and start to first output
# (sequential jobs to one host; PowerShell's first job also pays New-PSSession, shown apart), the
# stop time (Stop-RJob vs Stop-Job) of a job whose tree holds a double-forked orphan, a setsid
# daemon and a TERM-ignoring child, and how many of those are left after the stop and after
# Remove-PSSession. -PipeHolder adds a PowerShell run whose orphan keeps the job's stdout open.
# Times are wall-clock on this (shared) machine: compare within one run only.
param([int] $Jobs = 10, [switch] $PipeHolder)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../module/RJob.psd1') -Force
. (Join-Path $PSScriptRoot '../tests/pester/SshHosts.ps1')
$reason = Get-RJobTestSshUnavailableReason
if ($reason) { Write-Warning "No sshd: $reason"; return }

$supervisor = (Resolve-Path (Join-Path $PSScriptRoot '../module/bin/linux-x64/rjob-supervisor')).Path
$pwshPath = (Resolve-Path (Join-Path $PSScriptRoot '../.tools/pwsh/pwsh')).Path

function Get-Marked([string] $Marker) {
    @(& pgrep -f -- "sleep $Marker" 2>$null | Where-Object { $_ } | ForEach-Object { [int]$_ } | Where-Object {
            (Get-Content "/proc/$_/stat" -ErrorAction SilentlyContinue) -notmatch '^\d+ \(.*\) Z '
        })
}

# Polls until the condition holds; seconds taken, or $null at the deadline.
function Wait-For([scriptblock] $Condition, [double] $Seconds = 60) {
    $w = [Diagnostics.Stopwatch]::StartNew()
    while (-not (& $Condition)) {
        if ($w.Elapsed.TotalSeconds -ge $Seconds) { return $null }
        Start-Sleep -Milliseconds 5
    }
    $w.Elapsed.TotalSeconds
}

function Get-OrphanMaker([string] $Marker, [switch] $HoldPipe) {
    $out = if ($HoldPipe) { '' } else { ' >/dev/null 2>&1' }
    "(sleep $Marker$out &); setsid sleep $Marker >/dev/null 2>&1 & sh -c 'trap """" TERM; exec sleep $Marker' >/dev/null 2>&1 & sleep $Marker >/dev/null 2>&1 & wait"
}

# Start to Running and start to first output of $Jobs sequential jobs; $Start returns the job.
function Measure-Starts([scriptblock] $Start, [scriptblock] $HasOutput) {
    foreach ($i in 1..$Jobs) {
        $w = [Diagnostics.Stopwatch]::StartNew()
        $job = & $Start
        $null = Wait-For { $job.State -ne 'NotStarted' }
        $running = $w.Elapsed.TotalMilliseconds
        $null = Wait-For { & $HasOutput $job }
        [pscustomobject]@{ Running = $running; Output = $w.Elapsed.TotalMilliseconds }
        $null = Wait-For { $job.State -in 'Completed', 'Failed', 'Stopped' }
        Remove-Job $job -Force
    }
}

$ssh = Start-RJobTestSshHosts -Names hostA
$rows = [System.Collections.Generic.List[object]]::new()
try {
    $h = $ssh.Hosts[0]
    $conn = @{ HostName = $h.HostName; Port = $h.Port; UserName = $h.UserName; KeyFilePath = $h.KeyFilePath; Options = [hashtable]$h.Options }

    # ---- Start times ----
    $w = [Diagnostics.Stopwatch]::StartNew()
    $s = New-PSSession @conn
    $openMs = $w.Elapsed.TotalMilliseconds
    $rjobOut = { param($j) $j.ChildJobs[0].Output.Count -gt 0 }
    $psOut = { param($j) $j.ChildJobs[0].Output.Count -gt 0 }
    $kinds = [ordered]@{
        'RJob script (-Session)' = { Start-RJob -Session $s -SupervisorPath $supervisor -PwshPath $pwshPath { 'first' } }
        'RJob native (-HostName)' = { Start-RJob @conn -SupervisorPath $supervisor -FilePath /bin/echo -ArgumentList first }
        'Invoke-Command -AsJob' = { Invoke-Command -Session $s { 'first' } -AsJob }
    }
    $starts = [ordered]@{}
    foreach ($k in $kinds.Keys) {
        $starts[$k] = @(Measure-Starts $kinds[$k] $(if ($k -like 'RJob*') { $rjobOut } else { $psOut }))
    }

    # ---- Stops and orphans ----
    $stops = [ordered]@{}
    $variants = @(
        @{ Name = 'RJob script (-Session)'; Start = { param($m) Start-RJob -Session $s -SupervisorPath $supervisor -PwshPath $pwshPath -GraceSeconds 1 { param($sh) sh -c $sh } -ArgumentList (Get-OrphanMaker $m) }; Stop = { param($j) Stop-RJob -Job $j } }
        @{ Name = 'Invoke-Command -AsJob'; Start = { param($m) Invoke-Command -Session $s { param($sh) sh -c $sh } -ArgumentList (Get-OrphanMaker $m) -AsJob }; Stop = { param($j) Stop-Job -Job $j } }
        @{ Name = 'Invoke-Command -AsJob, Stop-RJob'; Start = { param($m) Invoke-Command -Session $s { param($sh) sh -c $sh } -ArgumentList (Get-OrphanMaker $m) -AsJob }; Stop = { param($j) Stop-RJob -Job $j } }
    )
    if ($PipeHolder) {
        $variants += @{ Name = 'Invoke-Command -AsJob (orphan holds stdout)'; Start = { param($m) Invoke-Command -Session $s { param($sh) sh -c $sh } -ArgumentList (Get-OrphanMaker $m -HoldPipe) -AsJob }; Stop = { param($j) Stop-Job -Job $j } }
    }
    foreach ($v in $variants) {
        if ($s.State -ne 'Opened') { Remove-PSSession $s; $s = New-PSSession @conn }
        $m = '299.' + (Get-Random -Minimum 100000000 -Maximum 999999999)
        $job = & $v.Start $m
        if ($null -eq (Wait-For { (Get-Marked $m).Count -ge 4 } 120)) { throw "$($v.Name): the tree did not start" }
        $w = [Diagnostics.Stopwatch]::StartNew()
        & $v.Stop $job
        $stopSeconds = $w.Elapsed.TotalSeconds
        $null = Wait-For { (Get-Marked $m).Count -eq 0 } 3
        $afterStop = (Get-Marked $m).Count
        Remove-PSSession $s
        $null = Wait-For { (Get-Marked $m).Count -eq 0 } 3
        $afterRemove = (Get-Marked $m).Count
        $stops[$v.Name] = [pscustomobject]@{ StopS = $stopSeconds; State = "$($job.State)"; AfterStop = $afterStop; AfterRemove = $afterRemove }
        Get-Marked $m | ForEach-Object { kill -9 $_ } # PowerShell's leftovers, by pid
        Remove-Job $job -Force
        $s = New-PSSession @conn
    }
    Remove-PSSession $s
}
finally {
    Get-RJob | Remove-RJob -Force
    Get-PSSession | Remove-PSSession
    Stop-RJobTestSshHosts $ssh
}

$load = (Get-Content /proc/loadavg).Split(' ')[0]
"Remote jobs to one host over ssh (sshd on 127.0.0.1), $Jobs sequential jobs per kind; load average $load"
"New-PSSession (PowerShell's session, used by -Session and Invoke-Command): {0:N0} ms" -f $openMs
''
$starts.Keys | ForEach-Object {
    $t = $starts[$_]
    [pscustomobject]@{
        Kind                 = $_
        '1st: Running ms'    = [int]$t[0].Running
        '1st: output ms'     = [int]$t[0].Output
        "$($Jobs)th: Running ms" = [int]$t[-1].Running
        "$($Jobs)th: output ms"  = [int]$t[-1].Output
        'median 2..n output ms' = [int](($t[1..($t.Count - 1)].Output | Sort-Object)[[int](($t.Count - 1) / 2)])
    }
} | Format-Table -AutoSize | Out-String -Width 200
$stops.Keys | ForEach-Object {
    $r = $stops[$_]
    [pscustomobject]@{ Kind = $_; 'stop s' = [math]::Round($r.StopS, 2); State = $r.State; 'left after stop' = $r.AfterStop; 'left after Remove-PSSession' = $r.AfterRemove }
} | Format-Table -AutoSize | Out-String -Width 200
