# Faults a stop must survive, as the module shows them (issue 9, items 4, 6 and 8): a supervisor
# killed with SIGKILL, a SIGSTOPped job, a SIGSTOPped supervisor, and jobs that read the terminal.

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    # The parent pid and state letter of a process, from /proc/<pid>/stat.
    function Get-ProcStat([int] $ProcessId) {
        $stat = [IO.File]::ReadAllText("/proc/$ProcessId/stat")
        $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
        [pscustomobject]@{ State = $fields[0]; ParentId = [int]$fields[1] }
    }

    # The job's supervisor: the parent of its main process.
    function Get-SupervisorId($Job) {
        $sup = (Get-ProcStat $Job.ProcessId).ParentId
        (Get-Content "/proc/$sup/comm") | Should -Be 'rjob-supervisor'
        $sup
    }

    function Send-Signal([string] $Signal, [int] $ProcessId) {
        & /bin/kill -s $Signal $ProcessId
        if ($LASTEXITCODE) { throw "kill -s $Signal $ProcessId failed" }
    }
}

Describe 'Stopping jobs whose processes misbehave' {
    AfterEach {
        # A supervisor a test stopped gets going again, so that it can clean up.
        if ($script:stoppedSupervisor -and (Test-Path "/proc/$script:stoppedSupervisor/comm") -and
            (Get-Content "/proc/$script:stoppedSupervisor/comm") -eq 'rjob-supervisor') {
            Send-Signal CONT $script:stoppedSupervisor
        }
        $script:stoppedSupervisor = $null
        Remove-AllRJob
        foreach ($t in @($script:token, $script:rescueToken) -ne $null) {
            foreach ($p in @(Get-ProcessWithToken $t)) { Send-Signal KILL $p }
        }
        $script:rescueToken = $null
    }

    It 'kill -9 of the supervisor stops the tree and fails the job, saying why' {
        $script:token = $token = New-Token
        $job = Start-RJob -FilePath sh -ArgumentList '-c', "sleep $token & setsid sleep $token & exec sleep $token"
        Wait-Until { @(Get-ProcessWithToken $token).Count -ge 3 } -Because 'the tree to start'
        $sup = Get-SupervisorId $job
        Send-Signal KILL $sup
        Wait-Until { $job.State -eq 'Failed' } -Because 'the job to end'
        $job.ExitCode | Should -BeNullOrEmpty
        $job.StatusMessage | Should -Match "supervisor \(pid $sup\) was killed by signal 9; its processes were stopped; the exit code is unknown"
        Wait-Until { @(Get-ProcessWithToken $token).Count -eq 0 } -TimeoutSeconds 5 -Because 'the tree to be gone'
        Stop-RJob $job -Force
        $job.State | Should -Be 'Failed'
    }

    It 'a SIGSTOPped job given a graceful stop runs its SIGTERM handler at once' {
        $script:token = $token = New-Token
        $job = Start-RJob -FilePath sh -ArgumentList '-c', "trap 'echo handled; exit 0' TERM; sleep $token & wait"
        # sh and sleep: the trap is set once sleep runs.
        Wait-Until { @(Get-ProcessWithToken $token).Count -ge 2 } -Because 'the trap to be set'
        Send-Signal STOP $job.ProcessId
        Wait-Until { (Get-ProcStat $job.ProcessId).State -eq 'T' } -Because 'the job to stop'
        $watch = [Diagnostics.Stopwatch]::StartNew()
        Stop-RJob $job -GraceSeconds 30
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
        $job.State | Should -Be 'Stopped'
        Receive-RJob $job | Should -Contain 'handled'
    }

    It 'Stop-RJob -Force does not wait for a SIGSTOPped supervisor' {
        $script:token = $token = New-Token
        $job = Start-RJob -FilePath sleep -ArgumentList $token
        $script:stoppedSupervisor = $sup = Get-SupervisorId $job
        Send-Signal STOP $sup
        Wait-Until { (Get-ProcStat $sup).State -eq 'T' } -Because 'the supervisor to stop'
        # Should the stop wait for the supervisor after all, the supervisor gets going again in
        # 20 s, so that this test fails instead of hanging.
        $rescue = [Diagnostics.ProcessStartInfo]::new('timeout')
        $script:rescueToken = New-Token
        foreach ($a in '30', 'sh', '-c', "sleep 20; kill -s CONT $sup", $rescueToken) { $rescue.ArgumentList.Add($a) }
        $null = [Diagnostics.Process]::Start($rescue)
        $watch = [Diagnostics.Stopwatch]::StartNew()
        Stop-RJob $job -Force
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
        $job.State | Should -Be 'Stopped'
        @(Get-ProcessWithToken $token).Count | Should -Be 0
    }
}

Describe 'Jobs started from a pwsh that has a terminal' {
    BeforeAll {
        # An interactive pwsh in tmux: it has a controlling terminal, as a user's pwsh does.
        . $PSScriptRoot/TmuxPwsh.ps1
        Start-TmuxPwsh "rjob-faults-$PID"
    }

    AfterAll {
        Stop-TmuxPwsh
    }

    It 'the pwsh in tmux has a terminal (what the next test relies on)' {
        Invoke-Interactive "try { [IO.File]::OpenRead('/dev/tty').Dispose(); 'yes' } catch { 'no' }" | Should -Be 'yes'
    }

    It '<Name> ends with an error instead of being stopped by the terminal' -ForEach @(
        @{ Name = 'cat /dev/tty'; Start = "Start-RJob -FilePath timeout -ArgumentList 20, cat, /dev/tty"; Code = 1 }
        @{ Name = 'read x </dev/tty'; Start = "Start-RJob -FilePath timeout -ArgumentList 20, sh, -c, 'read x </dev/tty'"; Code = 2 }
    ) {
        $null = Invoke-Interactive "`$j = $Start; `$j.Id"
        # A job stopped by SIGTTIN would hang until timeout kills it after 20 s (exit code 124).
        Invoke-Interactive "`$null = Wait-RJob `$j -Timeout 10; `"`$(`$j.State) `$(`$j.ExitCode)`"" -TimeoutSeconds 30 |
            Should -Be "Failed $Code"
    }
}
