# Shared by the parts of bench/Run-Bench.ps1: timing, percentiles, waiting, and the row every
# measure produces. Dot-sourced.

function Measure-Ms([scriptblock] $Block) {
    $w = [Diagnostics.Stopwatch]::StartNew(); $null = & $Block; $w.Elapsed.TotalMilliseconds
}

# Nearest-rank percentile of a list of numbers (p50 of an even count is the lower middle).
function Get-Percentile([double[]] $Values, [double] $P) {
    $sorted = @($Values | Sort-Object)
    if (-not $sorted.Count) { return [double]::NaN }
    $sorted[[math]::Max(0, [int][math]::Ceiling($P / 100 * $sorted.Count) - 1)]
}

function Get-Median([double[]] $Values) { Get-Percentile $Values 50 }

# The median milliseconds of -Rounds runs of $Block, after one unmeasured run.
function Measure-Median([scriptblock] $Block, [int] $Rounds) {
    $null = & $Block
    Get-Median ([double[]]@(foreach ($r in 1..$Rounds) { Measure-Ms $Block }))
}

# Waits, with a deadline, until $Condition is true; throws when it never is.
function Wait-Until([scriptblock] $Condition, [int] $TimeoutSeconds = 120, [string] $What = 'condition') {
    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (& $Condition)) {
        if ([datetime]::UtcNow -gt $deadline) { throw "bench: timed out after $TimeoutSeconds s waiting for $What" }
        Start-Sleep -Milliseconds 20
    }
}

# Waits until the machine is quiet: a second first, then (at most -Limit seconds more) until at
# most -Running tasks are runnable (/proc/loadavg, this pwsh's own included) on 3 reads in a row.
# The processes one measure stopped finish dying here, and the runtime's background JIT of the
# loop just run finishes, not during the next measure, which would be billed for them (200 starts
# from C measured 340-420 ms right after a Start-RJob round, 200 ms a second later).
function Wait-Settled([double] $Limit = 5, [int] $Running = 2) {
    Start-Sleep -Seconds 1
    $deadline = [datetime]::UtcNow.AddSeconds($Limit)
    $quiet = 0
    while ($quiet -lt 3 -and [datetime]::UtcNow -lt $deadline) {
        $now = [int][IO.File]::ReadAllText('/proc/loadavg').Split(' ')[3].Split('/')[0]
        $quiet = if ($now -le $Running) { $quiet + 1 } else { 0 }
        Start-Sleep -Milliseconds 20
    }
}

# CPU milliseconds this pwsh's runtime has spent so far in its background (tiered) JIT: the
# thread(s) named ".NET Tiered Com...", from /proc (utime + stime, in clock ticks of 10 ms).
function Get-JitCpuMs {
    $ticks = 0
    foreach ($task in [IO.Directory]::GetDirectories("/proc/$PID/task")) {
        try {
            if (-not [IO.File]::ReadAllText("$task/comm").StartsWith('.NET Tiered')) { continue }
            $f = [IO.File]::ReadAllText("$task/stat").Split(')')[-1].Split(' ')
            $ticks += [long]$f[12] + [long]$f[13]
        } catch [IO.IOException] { } # the thread ended meanwhile
    }
    $ticks * 10
}

# One line of the table. Lower is better unless -HigherIsBetter. Ratio = RJob / Baseline.
# A goal is either a ratio bound (-GoalRatio) or an absolute bound on RJob's value (-GoalValue);
# Use is how much of the goal RJob uses (<= 1: met), which the chart draws.
function New-BenchRow {
    param(
        [string] $Measure, [string] $Unit, $RJob, [string] $BaselineName, $Baseline,
        [string] $Others = '', [string] $Goal = '', $GoalRatio = $null, $GoalValue = $null,
        [switch] $HigherIsBetter, [string] $Note = ''
    )
    # NaN is the median of no values (every round of that side hung): no number to compare.
    $num = { param($v) ($v -is [double] -and -not [double]::IsNaN($v)) -or $v -is [int] -or $v -is [long] }
    $ratio = if ((& $num $RJob) -and (& $num $Baseline) -and $Baseline -ne 0) { [double]$RJob / $Baseline } else { $null }
    $use = $null
    if ($null -ne $GoalRatio -and $null -ne $ratio) {
        $use = if ($HigherIsBetter) { $GoalRatio / [math]::Max($ratio, 1e-9) } else { $ratio / $GoalRatio }
    } elseif ($null -ne $GoalValue -and (& $num $RJob)) {
        $use = if ($HigherIsBetter) { $GoalValue / [math]::Max([double]$RJob, 1e-9) } else { [double]$RJob / $GoalValue }
    }
    $met = if (-not $Goal) { '-' } elseif ($null -eq $use) { 'n/a' } elseif ($use -le 1) { 'met' } else { 'NOT met' }
    [pscustomobject]@{
        Measure = $Measure; Unit = $Unit; RJob = $RJob; Baseline = $BaselineName; BaselineValue = $Baseline
        Others = $Others; Ratio = $ratio; Goal = $Goal; GoalUse = $use; Met = $met; Note = $Note
    }
}

function Format-Num($v) {
    if ($null -eq $v) { return 'n/a' }
    if ($v -is [string]) { return $v }
    if ([double]::IsNaN($v)) { return 'n/a' }
    if ([math]::Abs($v) -ge 100) { '{0:N0}' -f $v } elseif ([math]::Abs($v) -ge 10) { '{0:N1}' -f $v } else { '{0:N2}' -f $v }
}

# Removes every job of the session, RJob's and PowerShell's, so each part starts from none.
function Clear-AllJobs {
    Get-Job | Stop-Job -ErrorAction Ignore
    Get-Job | Remove-Job -Force -ErrorAction Ignore
}
