# The benchmark's driver (bench/run builds what it needs and calls this): runs each part, prints
# the table, writes bench/results/latest.csv and latest.svg. Medians of -Rounds rounds; -Quick is
# a smoke run (fewer jobs, 64 MiB of output, 2 rounds; written to target/bench/results-quick).
# -Parts runs a subset.
param(
    [int] $Rounds = 3,
    [int] $StartSamples = 10,
    [int] $NativeCount = 200,
    [int] $StopCount = 200,
    [int] $ForceCount = 300,
    [int] $IdleProcs = 1000,
    [int] $ListCount = 10000,
    [long] $ReceiveBytes = 1GB,
    [int] $LineBytes = 100,
    [string[]] $Parts = @('script', 'native', 'stop', 'list', 'import', 'receive'),
    [switch] $Quick,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../module/RJob.psd1'),
    # The pwsh that fresh processes (Import-Module, receive) run: the project's by default.
    [string] $Pwsh = (Join-Path $PSScriptRoot '../.tools/pwsh/pwsh'),
    [string] $OutDir = (Join-Path $PSScriptRoot results)
)
$ErrorActionPreference = 'Stop'
if ($Quick) {
    $Rounds = 2; $StartSamples = 3; $ForceCount = 100; $IdleProcs = 200; $ListCount = 1000; $ReceiveBytes = 64MB
    $NativeCount = 50; $StopCount = 50
}
$all = 'script', 'native', 'stop', 'list', 'import', 'receive'
$Parts = @($Parts -split ',' | Where-Object { $_ })
if ($Parts.Where({ $_ -notin $all })) { throw "bench: -Parts takes $($all -join ', ')" }
$ModulePath = (Resolve-Path $ModulePath).Path
$binDir = Join-Path $PSScriptRoot ../target/bench
# A smoke run's numbers are not results: they go next to the build, not over the committed ones.
if ($Quick -and -not $PSBoundParameters.ContainsKey('OutDir')) { $OutDir = Join-Path $binDir results-quick }
foreach ($part in 'Common', 'ScriptStart', 'StartStop', 'List', 'Import', 'Receive', 'Chart') { . (Join-Path $PSScriptRoot "parts/$part.ps1") }
Import-Module $ModulePath -Force
Import-Module Microsoft.PowerShell.ThreadJob

$total = [Diagnostics.Stopwatch]::StartNew()
$rows = [System.Collections.Generic.List[object]]::new()
$run = {
    param($name, $block)
    if ($name -notin $Parts) { return }
    Write-Host "${name}:"
    Clear-AllJobs
    foreach ($row in @(& $block)) { $rows.Add($row) }
}
& $run script { Invoke-ScriptStartPart $StartSamples }
& $run native { Invoke-NativeStartPart $NativeCount ([math]::Max($Rounds, 7)) $binDir }
& $run stop { Invoke-StopPart $StopCount $ForceCount $IdleProcs $Rounds }
& $run list { Invoke-ListPart $ListCount $Rounds }
& $run import { Invoke-ImportPart $ModulePath ([math]::Max($Rounds, 5)) $binDir }
& $run receive { Invoke-ReceivePart $ReceiveBytes $LineBytes $Rounds $ModulePath $binDir }
Clear-AllJobs

$cpu = (Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '^.*:\s*', ''
$about = "{0:yyyy-MM-dd HH:mm} UTC, {1} ({2} cores), pwsh {3}, rounds {4}{5}, {6:N0} s" -f [datetime]::UtcNow, $cpu, [Environment]::ProcessorCount, $PSVersionTable.PSVersion, $Rounds, ($Quick ? ' (quick)' : ''), $total.Elapsed.TotalSeconds
$table = $rows | ForEach-Object {
    [pscustomobject]@{
        Measure = $_.Measure; Unit = $_.Unit; RJob = Format-Num $_.RJob
        'Compared with' = "$($_.Baseline) $(Format-Num $_.BaselineValue)$($_.Others ? "; $($_.Others)" : '')"
        Ratio = $null -eq $_.Ratio ? 'n/a' : ('{0:N3}x' -f $_.Ratio); Goal = $_.Goal; Met = $_.Met
    }
}
"RJob benchmark: $about. Ratio = RJob / the first value compared with (medians)."
$table | Format-Table -AutoSize -Wrap | Out-String -Width 250
# The notes say why a value is missing (a ThreadJob round that hung) and what else a row measured.
$rows | Where-Object Note | ForEach-Object { "Note, $($_.Measure): $($_.Note)" }

$null = New-Item -ItemType Directory -Force $OutDir
$csv = Join-Path $OutDir latest.csv
# Plain numbers in the CSV (invariant, no thousands separators), for tools to read.
$raw = { param($v) if ($v -is [ValueType]) { [math]::Round([double]$v, 3).ToString([cultureinfo]::InvariantCulture) } else { $v } }
$rows | Select-Object Measure, Unit, @{ n = 'RJob'; e = { & $raw $_.RJob } }, Baseline,
    @{ n = 'BaselineValue'; e = { & $raw $_.BaselineValue } }, Others, @{ n = 'Ratio'; e = { & $raw $_.Ratio } }, Goal,
    @{ n = 'GoalUse'; e = { & $raw $_.GoalUse } }, Met, Note |
    Export-Csv -NoTypeInformation -UseQuotes AsNeeded $csv
Write-Chart $rows (Join-Path $OutDir latest.svg) $about
"wrote $csv and latest.svg"
