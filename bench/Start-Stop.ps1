# Start and stop times of RJob next to PowerShell's own jobs, with ratios. Run it with the
# project's pwsh after a build:
#   .tools/pwsh/pwsh -NoProfile -File bench/Start-Stop.ps1 [-Count 20] [-Rounds 5]
# Each kind starts -Count jobs that sleep, then stops them all; then runs a trivial job start to
# result -Rounds times. Times are wall-clock milliseconds on this machine.
param([int] $Count = 20, [int] $Rounds = 5)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../module/RJob.psd1') -Force
Import-Module Microsoft.PowerShell.ThreadJob -ErrorAction SilentlyContinue

$kinds = [ordered]@{
    'RJob native'     = @{ Start = { Start-RJob -FilePath sleep -ArgumentList 300 }; Stop = { $args[0] | Stop-RJob }; Trivial = { Start-RJob -FilePath echo -ArgumentList 1 | Receive-RJob -Wait -AutoRemoveJob } }
    'RJob script'     = @{ Start = { Start-RJob { Start-Sleep 300 } }; Stop = { $args[0] | Stop-RJob }; Trivial = { Start-RJob { 1 } | Receive-RJob -Wait -AutoRemoveJob } }
    'Start-ThreadJob' = @{ Start = { Start-ThreadJob { Start-Sleep 300 } }; Stop = { $args[0] | Stop-Job }; Trivial = { Start-ThreadJob { 1 } | Receive-Job -Wait -AutoRemoveJob } }
    'Start-Job'       = @{ Start = { Start-Job { Start-Sleep 300 } }; Stop = { $args[0] | Stop-Job }; Trivial = { Start-Job { 1 } | Receive-Job -Wait -AutoRemoveJob } }
}
if (-not (Get-Command Start-ThreadJob -ErrorAction Ignore)) { $kinds.Remove('Start-ThreadJob') }

function Measure-Ms([scriptblock] $Block) {
    $w = [Diagnostics.Stopwatch]::StartNew(); $null = & $Block; $w.Elapsed.TotalMilliseconds
}

$rows = foreach ($name in $kinds.Keys) {
    $k = $kinds[$name]
    $null = & $k.Trivial # warm-up: the first call of each kind compiles its commands
    $jobs = [System.Collections.Generic.List[object]]::new()
    $start = Measure-Ms { for ($i = 0; $i -lt $Count; $i++) { $jobs.Add((& $k.Start)) } }
    # Wait until every job runs its command, so the stop measures stopping real work.
    $deadline = [datetime]::UtcNow.AddSeconds(120)
    while (@($jobs | Where-Object { $_.State -ne 'Running' }).Count -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
    $stop = Measure-Ms { & $k.Stop $jobs }
    $trivial = (1..$Rounds | ForEach-Object { Measure-Ms $k.Trivial } | Measure-Object -Average).Average
    if ($name -like 'RJob*') { $jobs | Remove-RJob -Force } else { $jobs | Remove-Job -Force }
    [pscustomobject]@{ Kind = $name; StartMsEach = $start / $Count; StopAllMs = $stop; TrivialJobMs = $trivial }
}

$base = $rows | Where-Object Kind -EQ 'Start-Job'
"$Count jobs started then stopped; trivial job (start to result) averaged over $Rounds rounds."
$rows | Format-Table Kind,
    @{ n = 'Start ms/job'; e = { '{0:N2}' -f $_.StartMsEach }; a = 'right' },
    @{ n = 'vs Start-Job'; e = { 'x{0:N1} faster' -f ($base.StartMsEach / $_.StartMsEach) }; a = 'right' },
    @{ n = "Stop all ms"; e = { '{0:N0}' -f $_.StopAllMs }; a = 'right' },
    @{ n = 'vs Start-Job '; e = { 'x{0:N1} faster' -f ($base.StopAllMs / $_.StopAllMs) }; a = 'right' },
    @{ n = 'Trivial job ms'; e = { '{0:N0}' -f $_.TrivialJobMs }; a = 'right' },
    @{ n = 'vs Start-Job  '; e = { 'x{0:N1} faster' -f ($base.TrivialJobMs / $_.TrivialJobMs) }; a = 'right' } -AutoSize
