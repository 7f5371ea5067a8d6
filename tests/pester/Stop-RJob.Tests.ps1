BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

Describe 'Stop-RJob' {
    AfterEach { Remove-AllRJob }

    It 'accepts jobs from the pipeline and by -Id, -Name, -InstanceId and -State' {
        $jobs = 1..5 | ForEach-Object { Start-RJob -Name "stop$_" -FilePath sleep -ArgumentList 60 }
        $jobs[0] | Stop-RJob
        Stop-RJob -Id $jobs[1].Id
        Stop-RJob -Name stop3
        Stop-RJob -InstanceId $jobs[3].InstanceId
        $jobs[0..3].State | Sort-Object -Unique | Should -Be 'Stopped'
        $jobs[4].State | Should -Be 'Running'
        Stop-RJob -State Running
        $jobs[4].State | Should -Be 'Stopped'
    }

    It '-PassThru writes the stopped jobs' {
        $job = Start-RJob -FilePath sleep -ArgumentList 60
        $out = Stop-RJob $job -PassThru
        $out.Id | Should -Be $job.Id
        $out.State | Should -Be 'Stopped'
    }

    It '-WhatIf changes nothing' {
        $job = Start-RJob -FilePath sleep -ArgumentList 60
        Stop-RJob -Id $job.Id -WhatIf
        $job.State | Should -Be 'Running'
    }

    It 'skips finished jobs and leaves their state alone' {
        $job = Start-RJob -FilePath true
        Wait-RJob $job | Out-Null
        Stop-RJob $job -Confirm
        $job.State | Should -Be 'Completed'
    }

    It 'kills the whole tree, including a setsid daemon and a double-forked orphan' -ForEach @(@{ Force = $false }, @{ Force = $true }) {
        $token = New-Token
        $script = "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do sleep $token & done; " +
        "sh -c 'sleep $token & sleep $token' & setsid sleep $token & sh -c '(sleep $token &); exit 0' & wait"
        $job = Start-RJob -FilePath sh -ArgumentList '-c', $script
        Wait-Until { @(Get-ProcessWithToken $token).Count -ge 19 } -Because '19 sleepers to start'
        Stop-RJob $job -Force:$Force -GraceSeconds 3
        $job.State | Should -Be 'Stopped'
        @(Get-ProcessWithToken $token).Count | Should -Be 0
    }

    It 'escalates to SIGKILL when a job ignores SIGTERM' {
        $job = Start-RJob -FilePath sh -ArgumentList '-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done' -GraceSeconds 0.5
        Wait-Until { (Receive-RJob $job -Keep) -contains 'ready' } -Because 'the trap to be set'
        $watch = [Diagnostics.Stopwatch]::StartNew()
        Stop-RJob $job
        $job.State | Should -Be 'Stopped'
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.45
    }

    It 'Get-RJob | Stop-RJob over 100 jobs that ignore SIGTERM returns within one grace period plus a second' {
        $token = New-Token
        $jobs = 1..100 | ForEach-Object { Start-RJob -GraceSeconds 2 -FilePath sh -ArgumentList '-c', "trap '' TERM; echo ready; exec sleep $token" }
        Wait-Until { -not ($jobs | Where-Object { $_.ChildJobs[0].Output.Count -eq 0 }) } -TimeoutSeconds 60 -Because 'every job to set its trap'
        $watch = [Diagnostics.Stopwatch]::StartNew()
        Get-RJob | Stop-RJob
        $watch.Stop()
        Write-Host ("figure: Get-RJob | Stop-RJob over 100 SIGTERM-ignoring jobs, grace 2 s: {0:N2} s" -f $watch.Elapsed.TotalSeconds)
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 3
        $watch.Elapsed.TotalSeconds | Should -BeGreaterThan 1.9 -Because 'SIGTERM was ignored, so only the SIGKILL after the grace period ended them'
        $jobs.State | Sort-Object -Unique | Should -Be 'Stopped'
        @(Get-ProcessWithToken $token).Count | Should -Be 0
    }

    It 'writes not-found errors like Stop-Job and stays silent for unmatched wildcards' {
        Stop-RJob -Id 987654 -ErrorAction SilentlyContinue -ErrorVariable e1
        $e1[0].FullyQualifiedErrorId | Should -Be 'JobWithSpecifiedSessionNotFound,RJob.Commands.StopRJobCommand'
        $e1[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Stop-RJob -Name nobody -ErrorAction SilentlyContinue -ErrorVariable e2
        $e2[0].FullyQualifiedErrorId | Should -Be 'JobWithSpecifiedNameNotFound,RJob.Commands.StopRJobCommand'
        Stop-RJob -Name nobody* -ErrorVariable e3
        $e3 | Should -BeNullOrEmpty
    }

    It 'rejects bad input as parameter errors and the shell goes on' {
        { Stop-RJob -Id 'x' } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,RJob.Commands.StopRJobCommand'
        { Stop-RJob -Name '' } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.StopRJobCommand'
        { Stop-RJob -Job $null } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.StopRJobCommand'
        { Stop-RJob -Job 'not a job' } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,RJob.Commands.StopRJobCommand'
        { Stop-RJob -Id 1 -GraceSeconds -2 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.StopRJobCommand'
        (Start-RJob { 'still fine' } | Wait-RJob | Receive-RJob) | Should -Be 'still fine'
    }
}
