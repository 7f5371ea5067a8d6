# Native starts and stops at scale.
# - Start -Count native jobs of one real program with Start-RJob, against -Count posix_spawns of
#   the same program by target/bench/spawn_floor, and -Count rjob_start calls from C through
#   librjob (target/bench/engine_start), so the cmdlet's and the engine's shares both show. Each
#   is timed until every process runs.
# - Stop -Count running jobs through the pipeline, `Get-RJob | Stop-RJob`, against as many thread
#   jobs, `Get-Job | Stop-Job` in a child pwsh with a time limit (ThreadStop-Child.ps1).
# - `Get-RJob | Stop-RJob -Force` over -ForceCount jobs, on the machine as it is and again with
#   -IdleProcs unrelated idle processes (bench/idle-procs: a marker, a time limit, killed by pid).

function Start-Sleepers([int] $Count) {
    $jobs = [System.Collections.Generic.List[object]]::new($Count)
    for ($i = 0; $i -lt $Count; $i++) { $jobs.Add((Start-RJob -FilePath sleep -ArgumentList 600)) }
    # A job is Running as Start-RJob returns; reading ProcessId waits until its process runs.
    if (@($jobs.Where({ $null -eq $_.ProcessId })).Count) { throw 'bench: a sleeper did not start' }
    $jobs
}

function Invoke-NativeStartPart([int] $Count, [int] $Rounds, [string] $BinDir) {
    # /bin/true ends at once, so its exits overlap the next starts; sleep shows the start alone.
    $commands = @(@('/bin/true'), @('/bin/sleep', '600'))
    # Steady state, as the C side is from its first call: in a fresh pwsh, .NET recompiles the hot
    # methods of PowerShell and RJob (tiered JIT) for thousands of calls, and that compiling takes
    # up to a core beside the starts. 1,000 starts were not enough (later rounds still had up to
    # 480 ms of JIT CPU), so the same rounds as measured run until one adds at most 20 ms of it.
    for ($pass = 1; $pass -le 20; $pass++) {
        $jit = Get-JitCpuMs
        foreach ($argv in $commands) { $null = Invoke-StartRJobRound $Count $argv }
        Start-Sleep -Milliseconds 300 # the compiles the pass queued
        $jit = (Get-JitCpuMs) - $jit
        if ($jit -le 20) { break }
    }
    Write-Host "  warm-up: $pass passes of $($commands.Count) x $Count starts, the last with $jit ms of JIT CPU"
    foreach ($argv in $commands) { Invoke-NativeStarts $Count $Rounds $BinDir $argv }
}

# $Count starts with Start-RJob, one after another, until every job's process runs (as
# posix_spawn returns once its child has exec'd; a Start-RJob returns before, and reading
# ProcessId waits for the process): (milliseconds, JIT CPU ms meanwhile).
function Invoke-StartRJobRound([int] $Count, [string[]] $Argv) {
    $rest = @($Argv | Select-Object -Skip 1)
    $jobs = [System.Collections.Generic.List[object]]::new($Count)
    $jit = Get-JitCpuMs
    $ms = Measure-Ms {
        for ($i = 0; $i -lt $Count; $i++) { $jobs.Add((Start-RJob -FilePath $Argv[0] -ArgumentList $rest)) }
        foreach ($job in $jobs) { if ($null -eq $job.ProcessId) { throw "bench: a job of $Argv did not start: $($job.JobStateInfo.Reason)" } }
    }
    $jit = (Get-JitCpuMs) - $jit
    $jobs | Remove-RJob -Force
    $ms, $jit
}

function Invoke-NativeStarts([int] $Count, [int] $Rounds, [string] $BinDir, [string[]] $Argv) {
    $program = $Argv -join ' '
    $floor = Join-Path $BinDir spawn_floor
    $fromC = Join-Path $BinDir engine_start
    # Each measure starts on a quiet machine: the jobs the one before stopped are gone.
    $startRJob = { Wait-Settled; Invoke-StartRJobRound $Count $Argv }
    $runC = { param($exe) Wait-Settled; $out = & $exe $Count @Argv; if ($LASTEXITCODE) { throw "bench: $exe failed" }; [double]$out }
    $null = & $runC $floor; $null = & $runC $fromC # warm-up (Start-RJob's was Invoke-NativeStartPart's)
    $r = @(); $f = @(); $c = @(); $jit = @()
    foreach ($i in 1..$Rounds) {
        $f += & $runC $floor; $c += & $runC $fromC
        $ms, $j = & $startRJob; $r += $ms; $jit += $j
    }
    $rm = Get-Median $r; $fm = Get-Median $f; $cm = Get-Median $c; $jm = Get-Median $jit
    Write-Host ("  {0} starts of {4}: Start-RJob {1:N1} ms (JIT CPU meanwhile {5:N0} ms), engine from C {2:N1} ms, posix_spawn {3:N1} ms" -f $Count, $rm, $cm, $fm, $program, $jm)
    New-BenchRow "Start $Count native jobs (Start-RJob $program)" ms $rm 'posix_spawn floor' $fm "engine from C $(Format-Num $cm) ms" '<= 2x posix_spawn' -GoalRatio 2 -Note "median JIT CPU during a round $(Format-Num $jm) ms"
    New-BenchRow "Start $Count native jobs from C ($program)" ms $cm 'posix_spawn floor' $fm
}

# -Count unrelated idle processes (bench/idle-procs: a marker, a time limit): their pids and marker.
function Start-IdleCrowd([int] $Count) {
    $marker = "rjob-bench-idle-$([guid]::NewGuid().ToString('n').Substring(0, 12))"
    $pids = [int[]]@(& (Join-Path $PSScriptRoot ../idle-procs) $Count $marker 900)
    $crowd = @{ Pids = $pids; Marker = $marker }
    if ($pids.Count -ne $Count) { Stop-IdleCrowd $crowd; throw "bench: started $($pids.Count) idle processes, not $Count" }
    $crowd
}

# Kills them by pid, only those that still carry the marker (a pid may have been reused), and
# waits until none runs (a dead one's cmdline is empty, reaped or not).
function Stop-IdleCrowd($Crowd) {
    $alive = { @($Crowd.Pids.Where({ $(try { [IO.File]::ReadAllText("/proc/$_/cmdline") } catch { '' }).StartsWith($Crowd.Marker) })) }
    $ours = & $alive
    if ($ours.Count) { /bin/kill -KILL @ours 2>$null }
    Wait-Until { -not (& $alive).Count } 60 'the idle processes to end'
}

function Invoke-StopPart([int] $Count, [int] $ForceCount, [int] $IdleProcs, [int] $Rounds, [int] $ThreadLimit = 120) {
    $stopRJob = { param($n, $force)
        Clear-AllJobs
        $null = Start-Sleepers $n
        # The last sleepers may still be loading, and the round before's processes leaving.
        Wait-Settled
        $ms = Measure-Ms { if ($force) { Get-RJob | Stop-RJob -Force } else { Get-RJob | Stop-RJob } }
        if (@(Get-RJob | Where-Object State -NE 'Stopped').Count) { throw 'bench: Stop-RJob left jobs not stopped' }
        Get-RJob | Remove-RJob -Force
        $ms
    }
    # In a child pwsh killed after $ThreadLimit s (bench/parts/ThreadStop-Child.ps1 says why); a
    # round that hung counts in the note, not in the median.
    $script:threadHangs = 0
    $stopThread = { param($n)
        $out = & timeout -k 5 $ThreadLimit $Pwsh -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot ThreadStop-Child.ps1) -Count $n
        if ($LASTEXITCODE -eq 124 -or $LASTEXITCODE -eq 137) { $script:threadHangs++; return }
        if ($LASTEXITCODE) { throw "bench: the thread-job stop failed: $out" }
        [double]@($out)[-1]
    }
    $null = & $stopRJob 10 $false # warm-up
    $r = @(); $t = @(); $fi = @(); $ft = @(); $fb = @()
    foreach ($i in 1..$Rounds) { $r += & $stopRJob $Count $false; $t += & $stopThread $Count }
    foreach ($i in 1..$Rounds) { $ft += & $stopThread $ForceCount }
    # With and without the crowd in turns, so that the machine's drift over minutes (this one's
    # speed varies by a third within the hour) falls on both alike.
    foreach ($i in 1..$Rounds) {
        $fi += & $stopRJob $ForceCount $true
        $crowd = Start-IdleCrowd $IdleProcs
        try { $fb += & $stopRJob $ForceCount $true } finally { Stop-IdleCrowd $crowd }
    }
    $hangNote = if ($threadHangs) { "ThreadJob's Stop-Job hung in $threadHangs round(s) (killed after $ThreadLimit s)" } else { '' }
    $rm = Get-Median $r; $tm = Get-Median $t; $fim = Get-Median $fi; $ftm = Get-Median $ft; $fbm = Get-Median $fb
    Write-Host ("  stop {0}: RJob {1:N1} ms, thread jobs {2:N1} ms; -Force {3}: {4:N1} ms idle, {5:N1} ms with {6} processes" -f $Count, $rm, $tm, $ForceCount, $fim, $fbm, $IdleProcs)
    New-BenchRow "Stop $Count running jobs: Get-RJob | Stop-RJob" ms $rm "Get-Job | Stop-Job, $Count thread jobs" $tm -Note $hangNote
    New-BenchRow "Get-RJob | Stop-RJob -Force, $ForceCount jobs" ms $fim "Get-Job | Stop-Job, $ForceCount thread jobs" $ftm '' '<= 500 ms' -GoalValue 500 -Note $hangNote
    # "No slower" with the crowd; the bound allows 20% for this shared machine's noise.
    New-BenchRow "... -Force, $ForceCount jobs, $IdleProcs idle processes" ms $fbm 'the same on the machine as it is' $fim '' '<= 1.2x without them' -GoalRatio 1.2
}
