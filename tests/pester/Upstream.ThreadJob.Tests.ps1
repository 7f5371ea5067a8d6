# ThreadJob's tests, adapted to RJob: Start-ThreadJob -> Start-RJob; the jobs are then driven by
# PowerShell's own Get-Job/Wait-Job/Receive-Job/Stop-Job/Remove-Job, as ThreadJob users do.
#
# Source: github.com/PowerShell/ThreadJob at 40c67a7d1441047eb7295c4396c5e58b55f30d76,
#   test/Microsoft.PowerShell.ThreadJob.Tests.ps1 (the same tests ship in PowerShell/PowerShell as
#   test/powershell/Modules/ThreadJob/ThreadJob.Tests.ps1, minus the Information, Host and
#   working-directory ones).
# Copyright (c) Microsoft Corporation. Licensed under the MIT License.
#
# Adapted: PSJobTypeName "ThreadJob" -> "RJob.*" (RJob.Script, RJob.Native). Every assertion is
# kept; what cannot apply to RJob is left out where it stood, with a comment.
# Left out: test/Microsoft.PowerShell.ThreadJob.CL.Tests.ps1 (constrained language under a Windows
# system lockdown policy; upstream skips it off Windows).

# Basic thread job tests

Describe 'Basic ThreadJob Tests' -Tags 'CI' {

    # Upstream runs on Pester 4, which evaluated -Skip when the test ran; Pester 5 needs this at discovery.
    BeforeDiscovery {
        function Test-WindowsPowerShell
        {
            return ($PSVersionTable.PSVersion.Major -eq 5)
        }
    }

    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

        # Upstream defines this helper at the top of the file; Pester 5 runs only what is in a block.
        function Wait-ForJobRunning
        {
            param (
                $job
            )

            $iteration = 10
            Do
            {
                Start-Sleep -Milliseconds 1000
            }
            Until (($job.State -match "Running|Completed|Failed") -or (--$iteration -eq 0))

            if ($job.State -notmatch "Running|Completed|Failed")
            {
                throw ("Cannot start job '{0}'. Job state is '{1}'" -f $job,$job.State)
            }
        }

        $scriptFilePath1 = Join-Path $testdrive "TestThreadJobFile1.ps1"
        @'
        for ($i=0; $i -lt 10; $i++)
        {
            Write-Output "Hello $i"
        }
'@ > $scriptFilePath1

        $scriptFilePath2 = Join-Path $testdrive "TestThreadJobFile2.ps1"
        @'
        param ($arg1, $arg2)
        Write-Output $arg1
        Write-Output $arg2
'@ > $scriptFilePath2

        $scriptFilePath3 = Join-Path $testdrive "TestThreadJobFile3.ps1"
        @'
        $input | foreach {
            Write-Output $_
        }
'@ > $scriptFilePath3

        $scriptFilePath4 = Join-Path $testdrive "TestThreadJobFile4.ps1"
        @'
        Write-Output $using:Var1
        Write-Output $($using:Array1)[2]
        Write-Output @(,$using:Array1)
'@ > $scriptFilePath4

        $scriptFilePath5 = Join-Path $testdrive "TestThreadJobFile5.ps1"
        @'
        param ([string]$param1)
        Write-Output "$param1 $using:Var1 $using:Var2"
'@ > $scriptFilePath5

        $WaitForCountFnScript = @'
        function Wait-ForExpectedRSCount
        {
            param (
                $expectedRSCount
            )

            $iteration = 20
            while ((@(Get-Runspace).Count -ne $expectedRSCount) -and ($iteration-- -gt 0))
            {
                Start-Sleep -Milliseconds 100
            }
        }
'@
    }

    AfterEach {
        Get-Job | Where-Object PSJobTypeName -like "RJob.*" | Remove-Job -Force
    }

    It 'ThreadJob with ScriptBlock' {

        $job = Start-RJob -ScriptBlock { "Hello" }
        $results = $job | Receive-Job -Wait
        $results | Should -Be "Hello"
    }

    It 'ThreadJob with ScriptBlock and Initialization script' {

        $job = Start-RJob -ScriptBlock { "Goodbye" } -InitializationScript { "Hello" }
        $results = $job | Receive-Job -Wait
        $results[0] | Should -Be "Hello"
        $results[1] | Should -Be "Goodbye"
    }

    It 'ThreadJob with ScriptBlock and Argument list' {

        $job = Start-RJob -ScriptBlock { param ($arg1, $arg2) $arg1; $arg2 } -ArgumentList @("Hello","Goodbye")
        $results = $job | Receive-Job -Wait
        $results[0] | Should -Be "Hello"
        $results[1] | Should -Be "Goodbye"
    }

    It 'ThreadJob with ScriptBlock and piped input' {

        $job = "Hello","Goodbye" | Start-RJob -ScriptBlock { $input | ForEach-Object { $_ } }
        $results = $job | Receive-Job -Wait
        $results[0] | Should -Be "Hello"
        $results[1] | Should -Be "Goodbye"
    }

    It 'ThreadJob with ScriptBlock and Using variables' {

        $Var1 = "Hello"
        $Var2 = "Goodbye"
        $Var3 = 102
        $Var4 = 1..5
        $global:GVar1 = "GlobalVar"
        $job = Start-RJob -ScriptBlock {
            Write-Output $using:Var1
            Write-Output $using:Var2
            Write-Output $using:Var3
            Write-Output ($using:Var4)[1]
            Write-Output @(,$using:Var4)
            Write-Output $using:GVar1
        }

        $results = $job | Receive-Job -Wait
        $results[0] | Should -Be $Var1
        $results[1] | Should -Be $Var2
        $results[2] | Should -Be $Var3
        $results[3] | Should -Be 2
        $results[4] | Should -Be $Var4
        $results[5] | Should -Be $global:GVar1
    }

    It 'ThreadJob with ScriptBlock and Using variables and argument list' {

        $Var1 = "Hello"
        $Var2 = 52
        $job = Start-RJob -ScriptBlock {
            param ([string] $param1)

            "$using:Var1 $param1 $using:Var2"
        } -ArgumentList "There"

        $results = $job | Receive-Job -Wait
        $results | Should -Be "Hello There 52"
    }

    It 'ThreadJob with ScriptFile' {

        $job = Start-RJob -FilePath $scriptFilePath1
        $results = $job | Receive-Job -Wait
        $results | Should -HaveCount 10
        $results[9] | Should -Be "Hello 9"
    }

    It 'ThreadJob with ScriptFile and Initialization script' {

        $job = Start-RJob -FilePath $scriptFilePath1 -Initialization { "Goodbye" }
        $results = $job | Receive-Job -Wait
        $results | Should -HaveCount 11
        $results[0] | Should -Be "Goodbye"
    }

    It 'ThreadJob with ScriptFile and Argument list' {

        $job = Start-RJob -FilePath $scriptFilePath2 -ArgumentList @("Hello","Goodbye")
        $results = $job | Receive-Job -Wait
        $results[0] | Should -Be "Hello"
        $results[1] | Should -Be "Goodbye"
    }

    It 'ThreadJob with ScriptFile and piped input' {

        $job = "Hello","Goodbye" | Start-RJob -FilePath $scriptFilePath3
        $results = $job | Receive-Job -Wait
        $results[0] | Should -Be "Hello"
        $results[1] | Should -Be "Goodbye"
    }

    It 'ThreadJob with ScriptFile and Using variables' {

        $Var1 = "Hello!"
        $Array1 = 1..10

        $job = Start-RJob -FilePath $scriptFilePath4
        $results = $job | Receive-Job -Wait
        $results[0] | Should -Be $Var1
        $results[1] | Should -Be 3
        $results[2] | Should -Be $Array1
    }

    It 'ThreadJob with ScriptFile and Using variables with argument list' {

        $Var1 = "There"
        $Var2 = 60
        $job = Start-RJob -FilePath $scriptFilePath5 -ArgumentList "Hello"
        $results = $job | Receive-Job -Wait
        $results | Should -Be "Hello There 60"
    }

    It 'ThreadJob with terminating error' {

        $job = Start-RJob -ScriptBlock { throw "MyError!" }
        $job | Wait-Job
        $job.JobStateInfo.Reason.Message | Should -Be "MyError!"
    }

    # RJob jobs have Start-Job's shape: a parent job whose one child holds the streams (ThreadJob keeps
    # them on the job itself). Giving both would make Receive-Job -Keep return everything twice
    # and -NoRecurse return data, against the built-ins; so these read the child's streams.
    It 'ThreadJob and Error stream output' {

        $job = Start-RJob -ScriptBlock { Write-Error "ErrorOut" } | Wait-Job
        $job.ChildJobs[0].Error | Should -Be "ErrorOut"
    }

    It 'ThreadJob and Warning stream output' {

        $job = Start-RJob -ScriptBlock { Write-Warning "WarningOut" } | Wait-Job
        $job.ChildJobs[0].Warning | Should -Be "WarningOut"
    }

    It 'ThreadJob and Verbose stream output' {

        $job = Start-RJob -ScriptBlock { $VerbosePreference = 'Continue'; Write-Verbose "VerboseOut" } | Wait-Job
        $job.ChildJobs[0].Verbose | Should -Match "VerboseOut"
    }

    It 'ThreadJob and Verbose stream output' {

        $job = Start-RJob -ScriptBlock { $DebugPreference = 'Continue'; Write-Debug "DebugOut" } | Wait-Job
        $job.ChildJobs[0].Debug | Should -Be "DebugOut"
    }

    It 'ThreadJob and Information stream output' {

        $job = Start-RJob -ScriptBlock { Write-Information "InformationOutput" -InformationAction Continue } | Wait-Job
        $job.ChildJobs[0].Information | Should -Be "InformationOutput"
    }

    It 'ThreadJob and Host stream output' {

        # Host stream data is automatically added to the Information stream
        $job = Start-RJob -ScriptBlock { Write-Host "HostOutput" } | Wait-Job
        $job.ChildJobs[0].Information | Should -Be "HostOutput"
    }

    It 'ThreadJob ThrottleLimit and Queue' {

        try
        {
            # Start four thread jobs with ThrottleLimit set to two
            Get-Job | Where-Object PSJobTypeName -like "RJob.*" | Remove-Job -Force
            $job1 = Start-RJob -ScriptBlock { Start-Sleep -Seconds 60 } -ThrottleLimit 2
            $job2 = Start-RJob -ScriptBlock { Start-Sleep -Seconds 60 }
            $job3 = Start-RJob -ScriptBlock { Start-Sleep -Seconds 60 }
            $job4 = Start-RJob -ScriptBlock { Start-Sleep -Seconds 60 }

            # Allow jobs to start
            Wait-ForJobRunning $job2

            Get-Job | Where-Object { ($_.PSJobTypeName -like "RJob.*") -and ($_.State -eq "Running") } | Should -HaveCount 2
            Get-Job | Where-Object { ($_.PSJobTypeName -like "RJob.*") -and ($_.State -eq "NotStarted") } | Should -HaveCount 2
        }
        finally
        {
            Get-Job | Where-Object PSJobTypeName -like "RJob.*" | Remove-Job -Force
        }

        Get-Job | Where-Object PSJobTypeName -like "RJob.*" | Should -HaveCount 0
    }

    It 'ThreadJob Runspaces should be cleaned up at completion' -Skip:(Test-WindowsPowerShell) {

        $script = $WaitForCountFnScript + @'

        try
        {
            Get-Job | Where-Object PSJobTypeName -like "RJob.*" | Remove-Job -Force
            $rsStartCount = @(Get-Runspace).Count

            # Start four thread jobs with ThrottleLimit set to two
            $Job1 = Start-RJob -ScriptBlock { "Hello 1!" } -ThrottleLimit 5
            $job2 = Start-RJob -ScriptBlock { "Hello 2!" }
            $job3 = Start-RJob -ScriptBlock { "Hello 3!" }
            $job4 = Start-RJob -ScriptBlock { "Hello 4!" }

            $null = $job1,$job2,$job3,$job4 | Wait-Job

            # Allow for runspace clean up to happen
            Wait-ForExpectedRSCount $rsStartCount

            Write-Output (@(Get-Runspace).Count -eq $rsStartCount)
        }
        finally
        {
            Get-Job | Where-Object PSJobTypeName -like "RJob.*" | Remove-Job -Force
        }
'@

        # The child imports the RJob under test; it runs under a time limit, as every process a test starts.
        $script = "Import-Module '$RJobManifest'`n" + $script
        $result = & timeout 120 "$PSHOME/pwsh" -NoProfile -c $script
        $result | Should -BeExactly "True"
    }

    # Left out: 'ThreadJob Runspaces should be cleaned up after job removal' asserts one runspace in
    # pwsh per running thread job; an RJob job runs in its own process, not in a runspace.

    It 'ThreadJob jobs should work with Receive-Job -AutoRemoveJob' {

        Get-Job | Where-Object PSJobTypeName -like "RJob.*" | Remove-Job -Force

        $job1 = Start-RJob -ScriptBlock { 1..2 | ForEach-Object { Start-Sleep -Milliseconds 100; "Output $_" } } -ThrottleLimit 5
        $job2 = Start-RJob -ScriptBlock { 1..2 | ForEach-Object { Start-Sleep -Milliseconds 100; "Output $_" } }
        $job3 = Start-RJob -ScriptBlock { 1..2 | ForEach-Object { Start-Sleep -Milliseconds 100; "Output $_" } }
        $job4 = Start-RJob -ScriptBlock { 1..2 | ForEach-Object { Start-Sleep -Milliseconds 100; "Output $_" } }

        $null = $job1,$job2,$job3,$job4 | Receive-Job -Wait -AutoRemoveJob

        Get-Job | Where-Object PSJobTypeName -like "RJob.*" | Should -HaveCount 0
    }

    It 'ThreadJob jobs should run in FullLanguage mode by default' {

        $result = Start-RJob -ScriptBlock { $ExecutionContext.SessionState.LanguageMode } | Wait-Job | Receive-Job
        # Adapted: a thread job hands back the live enum; from another process it comes back
        # deserialized, as from Start-Job (its value 0, type Deserialized.<enum>), so compare as the enum.
        $result.pstypenames[0] | Should -Be "Deserialized.System.Management.Automation.PSLanguageMode"
        [System.Management.Automation.PSLanguageMode]$result | Should -Be "FullLanguage"
    }

    It 'ThreadJob jobs should run in the current working directory' {

        $threadJobCurrentLocation = Start-RJob -ScriptBlock { $pwd } | Wait-Job | Receive-Job
        $threadJobCurrentLocation.Path.Trim() | Should -BeExactly $pwd.ToString().Trim()
    }
}

Describe 'Job2 class API tests' -Tags 'CI' {

    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

        function Wait-ForJobRunning
        {
            param (
                $job
            )

            $iteration = 10
            Do
            {
                Start-Sleep -Milliseconds 1000
            }
            Until (($job.State -match "Running|Completed|Failed") -or (--$iteration -eq 0))

            if ($job.State -notmatch "Running|Completed|Failed")
            {
                throw ("Cannot start job '{0}'. Job state is '{1}'" -f $job,$job.State)
            }
        }
    }

    AfterEach {
        Get-Job | Where-Object PSJobTypeName -like "RJob.*" | Remove-Job -Force
    }

    It 'Verifies StopJob API' {

        $job = Start-RJob -ScriptBlock { Start-Sleep -Seconds 60 } -ThrottleLimit 5
        Wait-ForJobRunning $job
        $job.StopJob($true, "No Reason")
        $job.JobStateInfo.State | Should -Be "Stopped"
    }

    It 'Verifies StopJobAsync API' {

        $job = Start-RJob -ScriptBlock { Start-Sleep -Seconds 60 } -ThrottleLimit 5
        Wait-ForJobRunning $job
        $job.StopJobAsync($true, "No Reason")
        Wait-Job $job
        $job.JobStateInfo.State | Should -Be "Stopped"
    }

    It 'Verifies StartJobAsync API' {

        $jobRunning = Start-RJob -ScriptBlock { Start-Sleep -Seconds 60 } -ThrottleLimit 1
        $jobNotRunning = Start-RJob -ScriptBlock { Start-Sleep -Seconds 60 }

        $jobNotRunning.JobStateInfo.State | Should -Be "NotStarted"

        # StartJobAsync starts jobs synchronously for ThreadJob jobs
        $jobNotRunning.StartJobAsync()
        Wait-ForJobRunning $jobNotRunning
        $jobNotRunning.JobStateInfo.State | Should -Be "Running"
    }

    It 'Verifies JobSourceAdapter Get-Jobs' {

        $job = Start-RJob -ScriptBlock { "Hello" } | Wait-Job

        $getJob = Get-Job -InstanceId $job.InstanceId 2> $null
        $getJob | Should -Be $job

        $getJob = Get-Job -Name $job.Name 2> $null
        $getJob | Should -Be $job

        $getJob = Get-Job -Command ' "hello" ' 2> $null
        $getJob | Should -Be $job

        $getJob = Get-Job -State $job.JobStateInfo.State 2> $null
        $getJob | Should -Be $job

        $getJob = Get-Job -Id $job.Id 2> $null
        $getJob | Should -Be $job

        # Get-Job -Filter is not supported
        $result = Get-Job -Filter @{Id = ($job.Id)} 3> $null
        $result | Should -BeNullOrEmpty
    }

    It 'Verifies terminating job error' {

        $job = Start-RJob -ScriptBlock { throw "My Job Error!" } | Wait-Job
        $results = $job | Receive-Job 2>&1
        $results.ToString() | Should -Be "My Job Error!"
    }
}

AfterAll {
    Get-Job | Where-Object PSJobTypeName -like "RJob.*" | Remove-Job -Force
    # -ThrottleLimit is session-wide: give the test files that run next the default (0, no limit).
    Start-RJob -ThrottleLimit 0 -FilePath true | Receive-RJob -Wait -AutoRemoveJob
}
