# No job outlives its pwsh, and exit codes survive a runtime that reaps every child
# (issue: Stop means stopped, points 3 and 4).

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    $script:module = $RJobManifest

    # A session that starts a job tree (with a setsid daemon and a double-forked orphan) and a
    # script job, says READY once all of them run, then on "go" exits or waits to be killed.
    $script:hostScript = Join-Path $TestDrive 'host.ps1'
    Set-Content -LiteralPath $hostScript -Value @'
param($Module, $Token, $Mode, $Helpers)
. $Helpers # imports the module under test
$null = Start-RJob -GraceSeconds 1 -FilePath sh -ArgumentList '-c', "sleep $Token & setsid sleep $Token & sh -c '(sleep $Token &)'; exec sleep $Token"
$null = Start-RJob -GraceSeconds 1 { param($t) sleep $t } -ArgumentList $Token
Wait-Until { @(Get-ProcessWithToken $Token).Count -ge 5 } -TimeoutSeconds 60 -Because 'the jobs to start'
'READY'
$null = [Console]::In.ReadLine()
if ($Mode -eq 'exit') { exit 0 }
Start-Sleep -Seconds 300
'@

    # A session that reports how its jobs ended, as JSON.
    $script:reportScript = Join-Path $TestDrive 'report.ps1'
    Set-Content -LiteralPath $reportScript -Value @'
param($Module)
Import-Module $Module
$long = Start-RJob -FilePath sleep -ArgumentList 60
$jobs = @(
    (Start-RJob -FilePath sh -ArgumentList '-c', 'exit 7'),
    (Start-RJob -FilePath true),
    (Start-RJob { 'from script' }),
    $long
)
# Short jobs must end while the long one still runs.
$null = Wait-RJob $jobs[0..2] -Timeout 60
$longWhileShortEnded = [string]$long.State
Stop-RJob $long
$null = Wait-RJob $jobs
$ignored = ([Convert]::ToUInt64(((Get-Content /proc/self/status) -match '^SigIgn' -split '\s+')[1], 16) -band (1 -shl 16)) -ne 0
[pscustomobject]@{
    Pid       = $PID
    Ignored   = $ignored
    LongState = $longWhileShortEnded
    States    = @($jobs | ForEach-Object { [string]$_.State })
    ExitCodes = @($jobs | ForEach-Object { $_.ExitCode })
    Output    = @(Receive-RJob $jobs[2])
} | ConvertTo-Json -Compress
'@
}

Describe 'No job outlives its pwsh' {
    It 'after <_> of the host pwsh, no process of any job remains' -ForEach 'exit', 'kill -9' {
        $token = New-Token
        $child = Start-ChildPwsh -ScriptPath $hostScript -Arguments $module, $token, $_, (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        try {
            Read-ChildLine $child | Should -Be 'READY'
            @(Get-ProcessWithToken $token).Count | Should -BeGreaterOrEqual 5
            $child.StandardInput.WriteLine('go')
            if ($_ -eq 'kill -9') { $child.Kill() }
            $child.WaitForExit(30000) | Should -BeTrue
            # The supervisors see their socket close: SIGTERM, then SIGKILL after the 1 s grace.
            Wait-Until { @(Get-ProcessWithToken $token).Count -eq 0 } -TimeoutSeconds 15 -Because 'every job process to end'
        }
        finally {
            Stop-ChildTree $child
        }
    }
}

Describe 'Exit codes are never lost' {
    It 'when pwsh was started with <Name>' -ForEach @(
        @{ Name = 'SIGCHLD ignored'; Prefix = @('perl', '-e', '$SIG{CHLD} = "IGNORE"; exec @ARGV or die', '--') }
        @{ Name = 'pwsh as PID 1'; Prefix = @('unshare', '--fork', '--pid', '--mount-proc') }
    ) {
        $child = Start-ChildPwsh -ScriptPath $reportScript -Arguments $module -Prefix $Prefix
        try {
            $line = Read-ChildLine $child 120
            $child.WaitForExit(30000) | Should -BeTrue
        }
        finally { Stop-ChildTree $child }
        $report = $line | ConvertFrom-Json
        if ($Name -eq 'pwsh as PID 1') { $report.Pid | Should -Be 1 }
        $report.LongState | Should -Be 'Running'
        $report.States | Should -Be @('Failed', 'Completed', 'Completed', 'Stopped')
        $report.ExitCodes[0..2] | Should -Be @(7, 0, 0)
        $report.Output | Should -Be 'from script'
    }

    It 'perl really starts pwsh with SIGCHLD ignored' {
        $mask = (perl -e '$SIG{CHLD} = "IGNORE"; exec @ARGV or die' -- grep SigIgn /proc/self/status) -split '\s+' | Select-Object -Last 1
        [Convert]::ToUInt64($mask, 16) -band (1 -shl 16) | Should -Not -Be 0
    }
}
