# The seed's scenarios, translated to RJob. Scenario 6 (remote jobs) comes with -HostName;
# scenario 7 (-Confirm in an interactive pwsh) lives in Confirm.Interactive.Tests.ps1.

BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

Describe 'Seed scenarios' {
    AfterEach { Remove-AllRJob }

    It '1: Stop-RJob -Job stops a sleeping script job' {
        $job = Start-RJob -ScriptBlock { Start-Sleep -Seconds 60 }
        $job.State | Should -Be 'Running'
        Stop-RJob -Job $job
        $job.State | Should -Be 'Stopped'
    }

    It '2: Stop-RJob -Id stops only that job; ids are consecutive (each job has one child job, as with Start-Job)' {
        $first = Start-RJob -ScriptBlock { Start-Sleep -Seconds 60 }
        $second = Start-RJob -ScriptBlock { Start-Sleep -Seconds 60 }
        $second.Id | Should -Be ($first.Id + 2)
        $first.ChildJobs[0].Id | Should -Be ($first.Id + 1)
        (Get-RJob).Id | Should -Be @($first.Id, $second.Id)
        Stop-RJob -Id $first.Id
        $first.State | Should -Be 'Stopped'
        $second.State | Should -Be 'Running'
    }

    It '3: Get-RJob -State Running | Stop-RJob leaves a Completed job alone' {
        $done = Start-RJob -ScriptBlock { 'finished' }
        Wait-RJob $done | Out-Null
        $running = @((Start-RJob -ScriptBlock { Start-Sleep -Seconds 60 }), (Start-RJob -FilePath sleep -ArgumentList 60))
        Get-RJob -State Running | Stop-RJob
        $done.State | Should -Be 'Completed'
        $running.State | Should -Be @('Stopped', 'Stopped')
        Receive-RJob $done | Should -Be 'finished'
    }

    It '4: Stop-RJob -Name stops the job with that name' {
        $job = Start-RJob -Name MyJob -ScriptBlock { Start-Sleep -Seconds 60 }
        $other = Start-RJob -Name Other -FilePath sleep -ArgumentList 60
        Stop-RJob -Name MyJob
        $job.State | Should -Be 'Stopped'
        $other.State | Should -Be 'Running'
    }

    It '5: Stop-RJob -Force stops a busy loop at once and its process is gone' {
        $job = Start-RJob -ScriptBlock { while ($true) { } }
        $processId = $job.ProcessId
        Test-ProcessAlive $processId | Should -BeTrue
        $watch = [Diagnostics.Stopwatch]::StartNew()
        Stop-RJob -Job $job -Force
        $watch.Stop()
        $job.State | Should -Be 'Stopped'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 1
        Test-ProcessAlive $processId | Should -BeFalse
    }

    It '8: Get-RJob | Stop-RJob stops every job' {
        $jobs = 1..3 | ForEach-Object { Start-RJob -FilePath sleep -ArgumentList 60 }
        $jobs += Start-RJob { Start-Sleep 60 }
        Get-RJob | Stop-RJob
        (Get-RJob).State | Sort-Object -Unique | Should -Be 'Stopped'
        $jobs.State | Sort-Object -Unique | Should -Be 'Stopped'
    }
}

Describe 'Output round trip' {
    AfterEach { Remove-AllRJob }

    It 'returns numbers, strings and a hashtable deserialized' {
        $job = Start-RJob { 42; 'text with spaces'; 3.5; @{ Name = 'n'; Count = 2 } }
        $out = Wait-RJob $job | Receive-RJob
        $out.Count | Should -Be 4
        $out[0] | Should -Be 42
        $out[0] | Should -BeOfType [int]
        $out[1] | Should -Be 'text with spaces'
        $out[2] | Should -Be 3.5
        $out[3] | Should -BeOfType [hashtable]
        $out[3].Name | Should -Be 'n'
        $out[3].Count | Should -Be 2
        $job.State | Should -Be 'Completed'
    }

    It 'passes -ArgumentList to the script block' {
        $job = Start-RJob { param($a, $b) $a + $b } -ArgumentList 40, 2
        Wait-RJob $job | Receive-RJob | Should -Be 42
    }

    It 'restores rich objects as deserialized objects, like Receive-Job' {
        $job = Start-RJob { [pscustomobject]@{ When = [datetime]'2020-01-02'; List = 1, 2, 3 } }
        $o = Wait-RJob $job | Receive-RJob
        $o.When | Should -Be ([datetime]'2020-01-02')
        $o.List | Should -Be @(1, 2, 3)
        $o.PSObject.TypeNames[0] | Should -Be 'Deserialized.System.Management.Automation.PSCustomObject'
    }

    It 'brings errors and warnings back on their streams; a throw makes the job Failed' {
        $job = Start-RJob { Write-Warning 'careful'; Write-Error 'soft'; 'after'; throw 'hard' }
        Wait-RJob $job | Out-Null
        $job.State | Should -Be 'Failed'
        $out = Receive-RJob $job -ErrorVariable errs -WarningVariable warns -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $out | Should -Be 'after'
        $warns.Message | Should -Be 'careful'
        $errs.Count | Should -Be 2
        $errs[0].Exception.Message | Should -Be 'soft'
        $errs[1].Exception.Message | Should -Be 'hard'
    }

    It 'runs in the current directory with the current $env: values' {
        $env:RJOB_TEST_VALUE = 'from-session'
        Push-Location /tmp
        try { $job = Start-RJob { "$PWD|$env:RJOB_TEST_VALUE" } } finally { Pop-Location; Remove-Item Env:RJOB_TEST_VALUE }
        Wait-RJob $job | Receive-RJob | Should -Be '/tmp|from-session'
    }
}

Describe 'Native command jobs' {
    AfterEach { Remove-AllRJob }

    It 'returns stdout as output and stderr as errors, and the exit code' {
        $job = Start-RJob -FilePath sh -ArgumentList '-c', 'echo out1; echo err1 >&2; echo out2; exit 3'
        Wait-RJob $job | Out-Null
        $job.State | Should -Be 'Failed'
        $job.ExitCode | Should -Be 3
        $out = Receive-RJob $job -ErrorVariable errs -ErrorAction SilentlyContinue
        $out | Should -Be @('out1', 'out2')
        $errs.Exception.Message | Should -Be 'err1'
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'NativeCommandError*'
    }

    It 'exit code 0 is Completed' {
        $job = Start-RJob -FilePath true
        Wait-RJob $job | Out-Null
        $job.State | Should -Be 'Completed'
        $job.ExitCode | Should -Be 0
    }
}
