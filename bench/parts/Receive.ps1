# Receive throughput and memory: a job writes -Bytes of -LineBytes-long lines (a file in
# target/bench, made once) and the caller receives them all. Each reading runs in a fresh pwsh
# (bench/parts/Receive-Child.ps1), so the peak RSS growth is the reading's own. RJob against the
# .NET ReadLine floor and `cat`; medians of -Rounds, the three ways interleaved.

function Get-LinesFile([long] $Bytes, [int] $LineBytes, [string] $Dir) {
    $file = Join-Path $Dir "lines-$Bytes-$LineBytes.txt"
    if (-not (Test-Path $file) -or (Get-Item $file).Length -ne $Bytes) {
        $line = 'x' * ($LineBytes - 1)
        bash -c 'yes "$1" 2>/dev/null | head -c "$2" > "$3"' bench $line $Bytes $file
        if ((Get-Item $file).Length -ne $Bytes) { throw "bench: could not write $file" }
    }
    $file
}

function Invoke-ReceivePart([long] $Bytes, [int] $LineBytes, [int] $Rounds, [string] $ModulePath, [string] $Dir) {
    $file = Get-LinesFile $Bytes $LineBytes $Dir
    $child = Join-Path $PSScriptRoot Receive-Child.ps1
    $expected = [math]::Ceiling($Bytes / $LineBytes)
    $runs = @{ rjob = @(); readline = @(); cat = @() }
    foreach ($i in 1..$Rounds) {
        foreach ($mode in 'readline', 'rjob', 'cat') {
            $json = & $Pwsh -NoProfile -NonInteractive -File $child -Mode $mode -File $file -ModulePath $ModulePath
            if ($LASTEXITCODE) { throw "bench: the $mode reading failed: $json" }
            $r = @($json)[-1] | ConvertFrom-Json
            if ($mode -eq 'readline' -and $r.Lines -ne $expected) { throw "bench: $mode read $($r.Lines) lines, not $expected" }
            $runs[$mode] += $r
        }
    }
    $mbps = { param($m) Get-Median ([double[]]@($runs[$m] | ForEach-Object { $_.Bytes / 1MB / ($_.Ms / 1000) })) }
    $rss = { param($m) Get-Median ([double[]]@($runs[$m] | ForEach-Object RssGrowthMiB)) }
    $rj = & $mbps rjob; $rl = & $mbps readline; $ct = & $mbps cat
    $rjRss = & $rss rjob; $rlRss = & $rss readline
    $cpu = { param($m) Get-Median ([double[]]@($runs[$m] | ForEach-Object CpuMs)) }
    $rjCpu = & $cpu rjob; $rlCpu = & $cpu readline
    $size = if ($Bytes -ge 1GB) { '{0:N0} GiB' -f ($Bytes / 1GB) } else { '{0:N0} MiB' -f ($Bytes / 1MB) }
    Write-Host ("  receive {0} ({1}-byte lines): RJob {2:N1} MiB/s (+{3:N1} MiB RSS), ReadLine {4:N1} MiB/s (+{5:N1} MiB), cat {6:N1} MiB/s" -f $size, $LineBytes, $rj, $rjRss, $rl, $rlRss, $ct)
    New-BenchRow "Receive $size, $LineBytes-byte lines: throughput" 'MiB/s' $rj '.NET ReadLine loop in pwsh' $rl "cat | cat $(Format-Num $ct) MiB/s; pwsh CPU s: RJob $(Format-Num ($rjCpu / 1000)), ReadLine $(Format-Num ($rlCpu / 1000))" '>= 0.9x ReadLine' -GoalRatio 0.9 -HigherIsBetter
    New-BenchRow "Receive $size`: pwsh peak RSS growth" MiB $rjRss '.NET ReadLine loop in pwsh' $rlRss '' '<= 64 MiB' -GoalValue 64
}
