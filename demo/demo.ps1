# RJob demo: real work in background jobs, shown as a user sees it at the prompt.
# Run through ./scripts/demo, which sets everything up first.
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../module/RJob.psd1') -Force

function Show([string] $Title) { "`n=== $Title" }
function Show-Jobs { Get-RJob | Format-Table -AutoSize | Out-String -Width 160 | Write-Host }

Show 'Script jobs hash files in parallel; a native job counts lines with wc'
$folders = '/usr/share/doc', '/usr/share/perl5', '/etc'
$hashers = foreach ($folder in $folders) {
    Start-RJob -Name "hash:$(Split-Path $folder -Leaf)" -ArgumentList $folder -ScriptBlock {
        param($Path)
        $files = Get-ChildItem -LiteralPath $Path -File -Recurse -ErrorAction SilentlyContinue | Select-Object -First 400
        $hashes = $files | Get-FileHash -Algorithm SHA256 -ErrorAction SilentlyContinue
        [pscustomobject]@{ Folder = $Path; Files = @($hashes).Count; Bytes = [long]($files | Measure-Object Length -Sum).Sum }
    }
}
$counter = Start-RJob -Name count-lines -FilePath sh -ArgumentList '-c', 'find /usr/share/doc -name "*.gz" | head -200 | xargs zcat 2>/dev/null | wc -l'
Show-Jobs
$hashers | Wait-RJob | Receive-RJob | Format-Table Folder, Files, Bytes | Out-String | Write-Host
"Lines in 200 compressed docs: $(Receive-RJob (Wait-RJob $counter))"

Show 'A job that starts a whole tree, including a daemon that calls setsid, stopped in one go'
$tree = Start-RJob -Name tree -FilePath sh -ArgumentList '-c', 'for i in 1 2 3 4 5; do sleep 300 & done; setsid sleep 301 & sh -c "(sleep 302 &)"; wait'
while (@(Get-Process sleep -ErrorAction Ignore | Where-Object { $_.CommandLine -match 'sleep 30[012]$' }).Count -lt 7) { Start-Sleep -Milliseconds 50 }
"Processes of the job before the stop: $(@(Get-Process sleep | Where-Object { $_.CommandLine -match 'sleep 30[012]$' }).Count)"
$watch = [Diagnostics.Stopwatch]::StartNew()
Stop-RJob -Name tree
"Stop-RJob took $($watch.ElapsedMilliseconds) ms; processes left: $(@(Get-Process sleep -ErrorAction Ignore | Where-Object { $_.CommandLine -match 'sleep 30[012]$' }).Count)"

Show 'A job that ignores SIGTERM is killed when its grace period ends; -Force does not wait'
$stubborn = Start-RJob -Name stubborn -GraceSeconds 1 -FilePath sh -ArgumentList '-c', 'trap "" TERM; while :; do sleep 1; done'
$watch.Restart(); Stop-RJob $stubborn; "graceful stop of a SIGTERM-ignoring job: $($watch.ElapsedMilliseconds) ms (grace 1 s)"
$spinner = Start-RJob -Name spinner { while ($true) { } }
$watch.Restart(); Stop-RJob $spinner -Force; "Stop-RJob -Force on a busy loop: $($watch.ElapsedMilliseconds) ms"

Show 'Streaming output while a job runs (Receive-RJob -Wait)'
Start-RJob -Name ticker { 1..3 | ForEach-Object { "tick $_ at $(Get-Date -Format HH:mm:ss.fff)"; Start-Sleep -Milliseconds 300 } } |
    Receive-RJob -Wait | Write-Host

Show 'Errors, warnings and exit codes come back as PowerShell expects'
$bad = Start-RJob -Name failing { Write-Warning 'about to fail'; throw 'something broke' }
$native = Start-RJob -Name exit3 -FilePath sh -ArgumentList '-c', 'echo to-stderr >&2; exit 3'
Wait-RJob $bad, $native | Out-Null
Receive-RJob $bad, $native -ErrorAction Continue -WarningAction Continue 2>&1 | ForEach-Object { "  received: [$($_.GetType().Name)] $_" }
$bad, $native | Format-Table Id, Name, State, ExitCode, StatusMessage -AutoSize | Out-String | Write-Host

Show 'Many jobs: start and stop 100 native jobs'
$watch.Restart()
$many = 1..100 | ForEach-Object { Start-RJob -Name "many$_" -FilePath sleep -ArgumentList 60 }
$started = $watch.ElapsedMilliseconds
$watch.Restart()
Get-RJob -Name many* | Stop-RJob
"100 jobs started in $started ms, stopped in $($watch.ElapsedMilliseconds) ms; states: $(($many.State | Sort-Object -Unique) -join ',')"
Get-RJob -Name many* | Remove-RJob

Show 'Bad input gets the errors the built-in job cmdlets give'
Stop-RJob -Id 999 -ErrorAction Continue 2>&1 | ForEach-Object { "  $($_.FullyQualifiedErrorId): $_" }
Remove-RJob -Name count-lines; Start-RJob -FilePath no-such-tool -ErrorAction Continue 2>&1 | ForEach-Object { "  $($_.FullyQualifiedErrorId): $_" }

Show 'The job table at the end (Get-RJob)'
Show-Jobs
Get-RJob | Remove-RJob -Force
"Demo done."
