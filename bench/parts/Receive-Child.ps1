# Runs in a fresh pwsh for bench/parts/Receive.ps1: reads -File (lines) once, one way, and prints
# one JSON line: milliseconds, this pwsh's CPU milliseconds (all its threads), bytes, lines, and this pwsh's peak RSS growth while reading.
#   rjob:     a native job `cat -File`, received with `Receive-RJob -Wait > $null`: objects made
#             and written, then dropped as they come, as the loop below drops its strings. Any
#             cmdlet downstream, even a compiled one that only counts, costs about 2 us an item
#             in PowerShell's pipeline (more than the receiving); `$null = ...` collects the
#             whole output before dropping it. That every line arrives is the tests' business;
#             here the job must end Completed with nothing left.
#   readline: `cat -File` started with System.Diagnostics.Process, its stdout read by a plain
#             .NET StreamReader.ReadLine loop (the floor for lines through a pipe into pwsh)
#   cat:      `cat -File | cat > /dev/null` in bash: the bytes through a pipe, no lines
# Peak RSS: the kernel's high-water mark (VmHWM), reset just before reading by writing 5 to
# /proc/self/clear_refs; growth = peak - RSS before.
param([ValidateSet('rjob', 'readline', 'cat')] [string] $Mode, [string] $File, [string] $ModulePath)
$ErrorActionPreference = 'Stop'

function Get-StatusKiB([string] $Field) {
    $line = [IO.File]::ReadAllLines('/proc/self/status').Where({ $_.StartsWith("${Field}:") })[0]
    [long]($line -replace '\D', '')
}

if ($Mode -eq 'rjob') {
    Import-Module $ModulePath
    $null = Start-RJob -FilePath echo -ArgumentList warm | Receive-RJob -Wait -AutoRemoveJob # code paths loaded
}
$null = 1..10 | Measure-Object
[GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
$rss0 = Get-StatusKiB VmRSS
[IO.File]::WriteAllText('/proc/self/clear_refs', '5')
$me = [Diagnostics.Process]::GetCurrentProcess()
$cpu0 = $me.TotalProcessorTime
$w = [Diagnostics.Stopwatch]::StartNew()
switch ($Mode) {
    'rjob' {
        $job = Start-RJob -FilePath cat -ArgumentList $File
        $job | Receive-RJob -Wait > $null
        if ($job.State -ne 'Completed' -or $job.HasMoreData) { throw "bench: the job ended $($job.State), more data: $($job.HasMoreData)" }
        $lines = -1
        $job | Remove-RJob
    }
    'readline' {
        $psi = [Diagnostics.ProcessStartInfo]::new('cat', $File)
        $psi.RedirectStandardOutput = $true
        $p = [Diagnostics.Process]::Start($psi)
        $reader = $p.StandardOutput
        $lines = 0
        while ($null -ne $reader.ReadLine()) { $lines++ }
        $p.WaitForExit()
    }
    'cat' {
        bash -c 'cat "$1" | cat > /dev/null' bench $File
        if ($LASTEXITCODE) { throw 'bench: cat failed' }
        $lines = -1
    }
}
$ms = $w.Elapsed.TotalMilliseconds
$me.Refresh()
$cpuMs = ($me.TotalProcessorTime - $cpu0).TotalMilliseconds
$peak = Get-StatusKiB VmHWM
[pscustomobject]@{ Ms = $ms; CpuMs = $cpuMs; Bytes = (Get-Item $File).Length; Lines = $lines; RssGrowthMiB = ($peak - $rss0) / 1024 } | ConvertTo-Json -Compress
