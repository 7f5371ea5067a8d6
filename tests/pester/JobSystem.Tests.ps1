# RJob jobs are PowerShell jobs (issue 6, "Architecture"): a Job2 registered through a
# JobSourceAdapter, so the built-in job cmdlets see and drive them; ids from PowerShell's one id
# space; state pushed into the object, with StateChanged events.

BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

Describe 'RJob jobs in PowerShell''s job system' {
    AfterEach {
        Remove-AllRJob
        Get-Job | Remove-Job -Force
    }

    It 'are Job2 objects with a child job, typed RJob.Native and RJob.Script' {
        $native = Start-RJob -FilePath sleep -ArgumentList 60
        $script = Start-RJob { Start-Sleep 60 }
        $native | Should -BeOfType [System.Management.Automation.Job2]
        $native.PSJobTypeName | Should -Be 'RJob.Native'
        $script.PSJobTypeName | Should -Be 'RJob.Script'
        $native.ChildJobs.Count | Should -Be 1
        $native.ChildJobs[0].Id | Should -Be ($native.Id + 1)
        $native.Location | Should -Be 'localhost'
    }

    It 'Get-Job lists them, and fetching a job twice gives the same object' {
        $job = Start-RJob -Name listed -FilePath sleep -ArgumentList 60
        $fromGetJob = Get-Job -Id $job.Id
        [object]::ReferenceEquals($fromGetJob, $job) | Should -BeTrue
        [object]::ReferenceEquals((Get-RJob -Id $job.Id), $job) | Should -BeTrue
        [object]::ReferenceEquals((Get-Job -Name listed), $job) | Should -BeTrue
        [object]::ReferenceEquals((Get-Job -InstanceId $job.InstanceId), $job) | Should -BeTrue
        (Get-Job | Where-Object PSJobTypeName -Like 'RJob.*').Id | Should -Be $job.Id
    }

    It 'share PowerShell''s id space with Start-Job jobs, so no id is ever used twice' {
        $rjob = Start-RJob -FilePath sleep -ArgumentList 60
        $psjob = Start-Job { Start-Sleep 60 }
        $rjob2 = Start-RJob -FilePath sleep -ArgumentList 60
        $ids = @($rjob.Id, $rjob.ChildJobs[0].Id, $psjob.Id, $psjob.ChildJobs[0].Id, $rjob2.Id, $rjob2.ChildJobs[0].Id)
        ($ids | Sort-Object -Unique).Count | Should -Be 6
        Get-RJob -Id $psjob.Id -ErrorAction SilentlyContinue -ErrorVariable e | Should -BeNullOrEmpty -Because 'a Start-Job job is not an RJob job'
        $e[0].FullyQualifiedErrorId | Should -BeLike 'JobWithSpecifiedSessionNotFound,*'
    }

    It 'Wait-Job, Receive-Job, Stop-Job and Remove-Job drive them' {
        $done = Start-RJob -FilePath sh -ArgumentList '-c', 'echo one; echo two'
        $running = Start-RJob -FilePath sleep -ArgumentList 60
        (Wait-Job $done -Timeout 60).Id | Should -Be $done.Id
        Receive-Job $done | Should -Be @('one', 'two')
        $done.HasMoreData | Should -BeFalse
        Stop-Job $running
        $running.State | Should -Be 'Stopped'
        Remove-Job $done, $running
        Get-RJob | Should -BeNullOrEmpty
        Get-Job | Should -BeNullOrEmpty
    }

    It 'Remove-Job -Force kills a running job''s process first' {
        $job = Start-RJob -FilePath sleep -ArgumentList 60
        $processId = $job.ProcessId
        Remove-Job $job -Force
        Get-RJob | Should -BeNullOrEmpty
        Test-ProcessAlive $processId | Should -BeFalse
    }

    It 'Stop-RJob -Job stops a Start-Job job the way Stop-Job does' {
        $psjob = Start-Job { Start-Sleep 60 }
        $rjob = Start-RJob -FilePath sleep -ArgumentList 60
        Get-Job | Stop-RJob
        $psjob.State | Should -Be 'Stopped'
        $rjob.State | Should -Be 'Stopped'
    }

    It 'Wait-RJob and Receive-RJob take a Start-Job job too' {
        $psjob = Start-Job { 'from Start-Job' }
        (Wait-RJob $psjob -Timeout 60).Id | Should -Be $psjob.Id
        Receive-RJob $psjob | Should -Be 'from Start-Job'
    }

    It 'raise StateChanged, so Register-ObjectEvent works' {
        $job = Start-RJob -FilePath sleep -ArgumentList 60
        $source = "rjob-state-$(New-Token)"
        $null = Register-ObjectEvent -InputObject $job -EventName StateChanged -SourceIdentifier $source
        try {
            Stop-RJob $job
            # PowerShell hands each event to a thread-pool thread on its way to the queue, so two
            # raised in quick succession can arrive swapped; the ids say the order they were raised in.
            $events = [System.Collections.Generic.List[object]]::new()
            $deadline = [datetime]::UtcNow.AddSeconds(30)
            while (@($events.State) -notcontains 'Stopped' -or @($events.State) -notcontains 'Stopping') {
                if ([datetime]::UtcNow -ge $deadline) { break }
                $event = Wait-Event -SourceIdentifier $source -Timeout 5
                if ($event) {
                    $events.Add([pscustomobject]@{ Id = $event.EventIdentifier; State = [string]$event.SourceEventArgs.JobStateInfo.State })
                    Remove-Event -EventIdentifier $event.EventIdentifier
                }
            }
            ($events | Sort-Object Id).State | Should -Be @('Stopping', 'Stopped')
        }
        finally {
            Unregister-Event -SourceIdentifier $source
        }
    }

    It 'read State without asking the engine: the object changes when the job does' {
        $job = Start-RJob -FilePath sleep -ArgumentList 60
        $job.JobStateInfo.State | Should -Be 'Running'
        $job.PSBeginTime | Should -Not -BeNullOrEmpty
        $job.PSEndTime | Should -BeNullOrEmpty
        Stop-RJob $job -Force
        $job.JobStateInfo.State | Should -Be 'Stopped'
        $job.PSEndTime | Should -Not -BeNullOrEmpty
        $job.ChildJobs[0].JobStateInfo.State | Should -Be 'Stopped'
    }

    It 'JobStateInfo.Reason carries a thrown error''s message; a native exit code is ExitCode and StatusMessage' {
        $thrown = Start-RJob { throw 'the reason' }
        $native = Start-RJob -FilePath sh -ArgumentList '-c', 'exit 5'
        Wait-RJob $thrown, $native -Timeout 120 | Out-Null
        $thrown.State | Should -Be 'Failed'
        $thrown.JobStateInfo.Reason.Message | Should -Be 'the reason'
        $thrown.ExitCode | Should -Be 1
        $native.State | Should -Be 'Failed'
        $native.ExitCode | Should -Be 5
        $native.StatusMessage | Should -Be 'exit code 5'
        $native.JobStateInfo.Reason | Should -BeNullOrEmpty -Because 'the exit code says it; Receive-Job writes no extra error'
    }

    It 'keep ProcessId, Kind and begin and end times' {
        $job = Start-RJob -FilePath sleep -ArgumentList 60
        Test-ProcessAlive $job.ProcessId | Should -BeTrue
        $job.Kind | Should -Be 'Native'
        Stop-RJob $job
        $job.PSEndTime | Should -BeGreaterOrEqual $job.PSBeginTime
    }

    It 'ProcessId of a job that ends as it starts is still its pid' {
        # Read at once, ProcessId waits for the start, and the job's end may settle meanwhile
        # (releasing the engine's record): the pid the end settled must not be lost. Many
        # starts, since the race is narrow.
        $jobs = foreach ($i in 1..300) { $job = Start-RJob -FilePath /bin/true; $null = $job.ProcessId; $job }
        @($jobs.Where({ $null -eq $_.ProcessId })).Count | Should -Be 0
        $jobs | Wait-RJob -Timeout 60 | Remove-RJob
        $job = Start-RJob -FilePath sh -ArgumentList '-c', 'echo $$'
        $job.ProcessId | Should -Be ([int]($job | Receive-RJob -Wait)) -Because "it is the job's own process"
        $job | Remove-RJob
    }

    It 'Ctrl+C ends Wait-RJob and Receive-RJob -Wait at once (StopProcessing)' {
        $job = Start-RJob -FilePath sleep -ArgumentList 60
        foreach ($command in 'Wait-RJob', 'Receive-RJob') {
            # Another runspace of this process: the job object and RJob's table are shared.
            $ps = [powershell]::Create()
            $null = $ps.AddCommand('Import-Module').AddParameter('Name', $RJobManifest).Invoke()
            $ps.Commands.Clear()
            $null = $ps.AddCommand($command).AddParameter('Job', $job)
            if ($command -eq 'Receive-RJob') { $null = $ps.AddParameter('Wait') }
            $async = $ps.BeginInvoke()
            Wait-Until { $ps.InvocationStateInfo.State -eq 'Running' } -Because "$command to run"
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 2 -Because "$command waits in short slices"
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $ps.Dispose()
        }
        $job.State | Should -Be 'Running'
    }
}
