# What Start-Job and Start-ThreadJob users hand a job (issue 6, "Start-RJob"): $using: values
# taken at start, -InputObject and pipeline input as $input, -ArgumentList, -InitializationScript,
# -WorkingDirectory (a PowerShell location stays that location), -FilePath script.ps1.

BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

Describe 'Start-RJob input' {
    AfterEach { Remove-AllRJob }

    It '$using: takes values when Start-RJob runs, from the caller''s scope, nested script blocks included' {
        $text = 'it''s "quoted"'
        $list = 1..5
        $global:RJobTestGlobal = 'global value'
        try {
            $job = Start-RJob { $using:text; ($using:list)[1]; & { $using:RJobTestGlobal }; ($using:list).Count }
            $text = 'changed after start'
            $job | Wait-RJob -Timeout 120 | Receive-RJob | Should -Be @('it''s "quoted"', 2, 'global value', 5)
        }
        finally { Remove-Variable RJobTestGlobal -Scope Global }
    }

    It 'a $using: variable that does not exist is an error at start, and no job is left' {
        $err = { Start-RJob { $using:noSuchVariableHere } } | Should -Throw -ErrorId 'UsingVariableIsUndefined,RJob.Commands.StartRJobCommand' -PassThru
        $err.Exception.Message | Should -Match 'noSuchVariableHere'
        Get-RJob | Should -BeNullOrEmpty
    }

    It 'pipeline input is ONE job whose $input holds every object, as with Start-Job' {
        $jobs = @(1..3 | Start-RJob { $input | ForEach-Object { $_ * 10 } })
        $jobs.Count | Should -Be 1
        $jobs[0] | Wait-RJob -Timeout 120 | Receive-RJob | Should -Be @(10, 20, 30)
    }

    It '-InputObject is one input object; -ArgumentList binds to param()' {
        $job = Start-RJob { param($a, $b) "$a+$b"; @($input).Count; $input } -ArgumentList 'x', 'y' -InputObject 'one'
        $job | Wait-RJob -Timeout 120 | Receive-RJob | Should -Be @('x+y', 1)
        $job2 = Start-RJob { $input } -InputObject 'in'
        $job2 | Wait-RJob -Timeout 120 | Receive-RJob | Should -Be 'in'
    }

    It '-InitializationScript runs first, in the same runspace' {
        $job = Start-RJob { "main sees $initialized" } -InitializationScript { $global:initialized = 'init'; 'from init' }
        $job | Wait-RJob -Timeout 120 | Receive-RJob | Should -Be @('from init', 'main sees init')
    }

    It '-WorkingDirectory Temp:/ stays that PowerShell location in the job; the process runs in its folder' {
        $job = Start-RJob { $PWD.Path; [Environment]::CurrentDirectory } -WorkingDirectory Temp:/
        $out = $job | Wait-RJob -Timeout 120 | Receive-RJob
        $out[0] | Should -Be 'Temp:/'
        $out[1] | Should -Be ([IO.Path]::GetTempPath().TrimEnd('/'))
    }

    It 'without -WorkingDirectory, a script job starts where the caller is, a relative one is taken from there' {
        New-Item -ItemType Directory -Path TestDrive:/here/sub | Out-Null
        Push-Location TestDrive:/here
        try {
            $job = Start-RJob { $PWD.ProviderPath }
            $sub = Start-RJob -FilePath pwd -WorkingDirectory sub
        }
        finally { Pop-Location }
        $job | Wait-RJob -Timeout 120 | Receive-RJob | Should -Be (Get-Item TestDrive:/here).FullName
        $sub | Wait-RJob -Timeout 60 | Receive-RJob | Should -Be (Get-Item TestDrive:/here/sub).FullName
    }

    It '-FilePath script.ps1 runs the script file as a script job, with $using:, arguments and input' {
        $file = Join-Path $TestDrive 'job script.ps1'
        Set-Content -LiteralPath $file -Value 'param($a) "$a $using:suffix"; $input'
        $suffix = 'world'
        $job = 'piped' | Start-RJob -FilePath $file -ArgumentList 'hello'
        $job.PSJobTypeName | Should -Be 'RJob.Script'
        $job | Wait-RJob -Timeout 120 | Receive-RJob | Should -Be @('hello world', 'piped')
        $literal = Start-RJob -LiteralPath $file -ArgumentList 'literal'
        $literal | Wait-RJob -Timeout 120 | Receive-RJob | Should -Be 'literal world'
    }

    It '-FilePath of a script that does not parse is a terminating error naming the problem' {
        $file = Join-Path $TestDrive 'broken.ps1'
        Set-Content -LiteralPath $file -Value 'if ('
        { Start-RJob -FilePath $file } | Should -Throw -ErrorId 'ScriptFileParseError,RJob.Commands.StartRJobCommand'
        Get-RJob | Should -BeNullOrEmpty
    }
}

Describe 'Start-RJob -ThrottleLimit' {
    AfterEach {
        Remove-AllRJob
        Start-RJob -FilePath true -ThrottleLimit 0 | Wait-RJob | Out-Null # back to no limit
        Remove-AllRJob
    }

    It 'queues jobs beyond the limit as NotStarted and starts them in order as others end' {
        $token = New-Token
        $first = Start-RJob -FilePath sleep -ArgumentList 60 -ThrottleLimit 2
        $second = Start-RJob -FilePath sleep -ArgumentList 60
        $third = Start-RJob -FilePath sh -ArgumentList '-c', "echo third >> $TestDrive/order-$token"
        $fourth = Start-RJob -FilePath sh -ArgumentList '-c', "echo fourth >> $TestDrive/order-$token"
        @($first, $second).State | Should -Be @('Running', 'Running')
        @($third, $fourth).State | Should -Be @('NotStarted', 'NotStarted')
        $third.ProcessId | Should -BeNullOrEmpty
        Stop-RJob $first
        Wait-RJob $third -Timeout 60 | Out-Null
        $third.State | Should -Be 'Completed'
        $fourth.State | Should -BeIn 'NotStarted', 'Running', 'Completed'
        Stop-RJob $second
        Wait-RJob $fourth -Timeout 60 | Out-Null
        Get-Content "$TestDrive/order-$token" | Should -Be @('third', 'fourth')
    }

    It 'a queued job that is stopped or removed never starts' {
        $token = New-Token
        $blocker = Start-RJob -FilePath sleep -ArgumentList 60 -ThrottleLimit 1
        $stopped = Start-RJob -FilePath sh -ArgumentList '-c', "touch $TestDrive/stopped-$token"
        $removed = Start-RJob -FilePath sh -ArgumentList '-c', "touch $TestDrive/removed-$token"
        $last = Start-RJob -FilePath sh -ArgumentList '-c', "touch $TestDrive/last-$token"
        Stop-RJob $stopped
        $stopped.State | Should -Be 'Stopped'
        $stopped.HasMoreData | Should -BeFalse
        Remove-RJob $removed -Force
        Stop-RJob $blocker
        Wait-RJob $last -Timeout 60 | Out-Null
        "$TestDrive/last-$token" | Should -Exist
        "$TestDrive/stopped-$token" | Should -Not -Exist
        "$TestDrive/removed-$token" | Should -Not -Exist
    }

    It 'Job2.StartJob starts a queued job ahead of the queue' {
        $blocker = Start-RJob -FilePath sleep -ArgumentList 60 -ThrottleLimit 1
        $queued = Start-RJob -FilePath true
        $queued.State | Should -Be 'NotStarted'
        $queued.StartJob()
        Wait-RJob $queued -Timeout 60 | Out-Null
        $queued.State | Should -Be 'Completed'
        $blocker.State | Should -Be 'Running'
    }
}
