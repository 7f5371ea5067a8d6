# Import-Module cost added to a pwsh start: fresh `pwsh -NoProfile` processes, each timing its own
# Import-Module with a Stopwatch. The first import in a process also pays for PowerShell's module
# machinery (100-600 ms here, whatever the module), so each process first imports an empty
# manifest module, and the time after it is the module's own. Wall-clock times of whole pwsh
# starts would say the same, buried in several hundred ms of noise on a shared machine.
# RJob and ThreadJob alternate, -Rounds each after a warm-up of each; medians.

function Measure-Import([string] $Module, [string] $Empty) {
    $code = "Import-Module '$Empty'; `$w = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$Module' -ErrorAction Stop; `$w.Elapsed.TotalMilliseconds"
    $out = & $Pwsh -NoProfile -NonInteractive -Command $code
    if ($LASTEXITCODE) { throw "bench: importing $Module failed" }
    [double]@($out)[-1]
}

function Invoke-ImportPart([string] $ModulePath, [int] $Rounds, [string] $Dir) {
    $empty = Join-Path $Dir empty/empty.psd1
    $null = New-Item -ItemType Directory -Force (Split-Path $empty)
    Set-Content $empty "@{ ModuleVersion = '1.0' }"
    $null = Measure-Import $ModulePath $empty; $null = Measure-Import Microsoft.PowerShell.ThreadJob $empty
    $r = @(); $t = @()
    foreach ($i in 1..$Rounds) { $r += Measure-Import $ModulePath $empty; $t += Measure-Import Microsoft.PowerShell.ThreadJob $empty }
    $rm = Get-Median $r; $tm = Get-Median $t
    Write-Host ("  Import-Module: RJob {0:N1} ms, ThreadJob {1:N1} ms" -f $rm, $tm)
    New-BenchRow 'Import-Module added to a pwsh start' ms $rm 'Import-Module ThreadJob' $tm '' '<= 1.5x ThreadJob' -GoalRatio 1.5
}
