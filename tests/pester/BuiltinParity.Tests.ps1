# Behaviour the built-in job cmdlets' own tests check, which RJob matches (issue 6, "Behaviour the
# built-ins' own tests check"). Where the built-in itself is the reference, it runs side by side.

BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

Describe 'Parity with the built-in job cmdlets' {
    AfterEach {
        Remove-AllRJob
        Get-Job | Remove-Job -Force
    }

    It 'Command is the script text untrimmed' {
        (Start-RJob { 1 + 1 }).Command | Should -BeExactly ' 1 + 1 '
        (Start-Job { 1 + 1 }).Command | Should -BeExactly ' 1 + 1 '
    }

    It 'Get-RJob $job binds the job to -Name, as Get-Job $job does: a non-terminating not-found error' {
        $job = Start-RJob -FilePath true | Wait-RJob
        Remove-RJob $job
        Get-RJob $job -ErrorAction SilentlyContinue -ErrorVariable e | Should -BeNullOrEmpty
        $e.Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -Be 'JobWithSpecifiedNameNotFound,RJob.Commands.GetRJobCommand'
        { Get-RJob $job -ErrorAction Stop } | Should -Throw -ErrorId 'JobWithSpecifiedNameNotFound,RJob.Commands.GetRJobCommand'
    }

    It 'HasMoreData is True while a job runs, with or without output, and False once all is received' {
        $job = Start-RJob -FilePath sleep -ArgumentList 60
        $job.HasMoreData | Should -BeTrue
        Stop-RJob $job
        $job.HasMoreData | Should -BeFalse
    }

    It 'a missing -WorkingDirectory is a terminating DirectoryNotFoundException; blank ones fail validation' {
        { Start-RJob { 1 } -WorkingDirectory 'This is an invalid path' } | Should -Throw -ErrorId 'DirectoryNotFoundException,RJob.Commands.StartRJobCommand'
        { Start-RJob { 1 } -WorkingDirectory '' } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.StartRJobCommand'
        { Start-RJob { 1 } -WorkingDirectory ' ' } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.StartRJobCommand'
        { Start-RJob { 1 } -WorkingDirectory /etc/passwd } | Should -Throw -ErrorId 'DirectoryNotFoundException,RJob.Commands.StartRJobCommand'
        Get-RJob | Should -BeNullOrEmpty
    }

    It '-State <_> selects nothing, without an error' -ForEach 'Suspended', 'Blocked', 'Disconnected' {
        $null = Start-RJob -FilePath sleep -ArgumentList 60
        Get-RJob -State $_ -ErrorVariable e | Should -BeNullOrEmpty
        Stop-RJob -State $_ -ErrorVariable e2
        $e.Count + $e2.Count | Should -Be 0
    }

    It '-Id -1 is a parameter error' {
        { Get-RJob -Id -1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.GetRJobCommand'
        { Stop-RJob -Id 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.StopRJobCommand'
    }

    It 'a process that cannot start fails its job, and Receive-RJob says why as Receive-Job does' {
        # Executable, but its interpreter does not exist: found by the cmdlet, refused by exec.
        # The start goes on after Start-RJob returns (so that the next start overlaps it), so
        # the failure is the job's, as a Start-Job job's failure is.
        $bad = Join-Path $TestDrive 'bad-interpreter'
        Set-Content -LiteralPath $bad -Value "#!/nonexistent/interpreter`necho never"
        chmod +x $bad
        $job = Start-RJob -FilePath $bad -ErrorVariable startErrors
        $startErrors.Count | Should -Be 0
        $job | Wait-RJob -Timeout 20 | Should -Be $job
        $job.State | Should -Be 'Failed'
        $job.ProcessId | Should -BeNullOrEmpty -Because 'no process ever ran'
        $job.ExitCode | Should -BeNullOrEmpty
        $job.JobStateInfo.Reason.Message | Should -Match 'not found'
        $out = Receive-RJob $job -ErrorAction SilentlyContinue -ErrorVariable e
        $out | Should -BeNullOrEmpty
        $e.Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -Be 'JobStateFailed,RJob.Commands.ReceiveRJobCommand'
        $e[0].Exception.Message | Should -Be $job.JobStateInfo.Reason.Message
        $job | Remove-RJob
        Get-RJob | Should -BeNullOrEmpty
    }

    It 'Get-RJob -Before, -After, -Newest and -HasMoreData filter as Get-Job does' {
        $before = Get-Date
        $ended = Start-RJob -FilePath sh -ArgumentList '-c', 'echo out' | Wait-RJob
        $after = Get-Date
        $running = Start-RJob -FilePath sleep -ArgumentList 60
        (Get-RJob -Before $after).Id | Should -Be $ended.Id
        (Get-RJob -After $before).Id | Should -Be $ended.Id -Because 'a running job has no end time'
        Get-RJob -Before $before | Should -BeNullOrEmpty
        (Get-RJob -Newest 1).Id | Should -Be $ended.Id
        (Get-RJob -HasMoreData $true).Id | Should -Be @($ended.Id, $running.Id)
        Receive-RJob $ended | Out-Null
        (Get-RJob -HasMoreData $false).Id | Should -Be $ended.Id
    }

    It 'Get-RJob -IncludeChildJob and -ChildJobState add the child jobs' {
        $job = Start-RJob -FilePath true | Wait-RJob
        $all = @(Get-RJob -IncludeChildJob)
        $all.Id | Should -Be @($job.Id, $job.ChildJobs[0].Id)
        @(Get-RJob -ChildJobState Completed).Count | Should -Be 2
        @(Get-RJob -ChildJobState Running).Count | Should -Be 1
        (Get-RJob -Id $job.ChildJobs[0].Id).InstanceId | Should -Be $job.ChildJobs[0].InstanceId
    }

    It 'Get-RJob -Command and -Filter select by command text and by property values' {
        $a = Start-RJob -Name filtered -FilePath sleep -ArgumentList 60
        $b = Start-RJob -FilePath true | Wait-RJob
        (Get-RJob -Command 'sleep 60').Id | Should -Be $a.Id
        (Get-RJob -Command 'sleep*').Id | Should -Be $a.Id
        (Get-RJob -Filter @{ Name = 'filt*'; State = 'Running' }).Id | Should -Be $a.Id
        (Get-RJob -Filter @{ State = 'Completed' }).Id | Should -Be $b.Id
    }

    It 'Receive-RJob -WriteJobInResults, -WriteEvents and -NoRecurse as Receive-Job' {
        $r1 = Start-RJob { 1 + 1 } | Receive-RJob -Wait -WriteJobInResults
        $r1.Count | Should -Be 2
        $r1[0] | Should -BeOfType [RJob.RJobJob]
        $r1[1] | Should -Be 2
        $r2 = Start-RJob { 1 + 1 } | Receive-RJob -Wait -WriteEvents
        $r2.Count | Should -Be 3
        $r2[0] | Should -Be 2
        $r2[1].GetType().FullName | Should -BeExactly 'System.Management.Automation.JobStateEventArgs'
        $r2[1].PSEventObject | Should -BeTrue
        $job = Start-RJob { 1 + 1 }
        Receive-RJob $job -Wait -NoRecurse | Should -BeNullOrEmpty -Because 'the output is in the child job'
        { Receive-RJob $job -WriteEvents } | Should -Throw -ErrorId 'WriteEventsCannotBeUsedWithoutWait,RJob.Commands.ReceiveRJobCommand'
        { Receive-RJob $job -Wait -Keep } | Should -Throw -ErrorId 'BlockCannotBeUsedWithKeep,RJob.Commands.ReceiveRJobCommand'
    }

    It 'Receive-Job and Receive-RJob give the same items in the same order' {
        $script = { 'a'; Write-Error 'e1'; 'b'; Write-Warning 'w'; 'c'; Write-Error 'e2'; throw 'end' }
        $one = Start-RJob $script | Wait-RJob -Timeout 120
        $two = Start-RJob $script | Wait-RJob -Timeout 120
        $fromBuiltin = Receive-Job $one -Keep *>&1 | ForEach-Object { "$($_.GetType().Name):$_" }
        $fromRJob = Receive-RJob $one -Keep *>&1 | ForEach-Object { "$($_.GetType().Name):$_" }
        $fromRJob | Should -Be $fromBuiltin
        $fromRJob | Should -Be @('String:a', 'String:b', 'String:c', 'ErrorRecord:e1', 'ErrorRecord:e2', 'WarningRecord:w', 'ErrorRecord:end')
        # Taking: what one reader took, the other does not see again.
        @(Receive-Job $two -ErrorAction SilentlyContinue -WarningAction SilentlyContinue).Count | Should -Be 3
        @(Receive-RJob $two *>&1 | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] }) | Should -BeNullOrEmpty
    }
}
