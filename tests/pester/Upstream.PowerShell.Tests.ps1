# PowerShell's own job tests, adapted to RJob: what users of Start-Job rely on must hold for
# Start-RJob and the RJob verbs too.
#
# Source: github.com/PowerShell/PowerShell at 929903692e550140efb5042ed05d65bfd21ccb5f,
#   test/powershell/engine/Job/Jobs.Tests.ps1                         ('Basic Job Tests')
#   test/powershell/Modules/Microsoft.PowerShell.Core/Job.Tests.ps1  ('Job Cmdlet Tests')
#   and Wait-UntilTrue from test/tools/Modules/HelpersCommon/HelpersCommon.psm1.
# Copyright (c) Microsoft Corporation. Licensed under the MIT License.
#
# Adapted: Start-Job/Get-Job/Wait-Job/Receive-Job/Stop-Job/Remove-Job -> the RJob verbs. Error ids
# keep their id and match any command (the RJob cmdlets' class names are RJob's own). Upstream
# runs on Pester 4, which saw -TestCases built in BeforeAll; Pester 5 needs them at discovery, so
# they are built in BeforeDiscovery, and values known only once the jobs run are script blocks the
# It evaluates. Every assertion is kept; what cannot apply to RJob is left out where it stood,
# with a comment.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    # From PowerShell's HelpersCommon test module.
    function Wait-UntilTrue {
        [CmdletBinding()]
        param (
            [ScriptBlock]$sb,
            [int]$TimeoutInMilliseconds = 10000,
            [int]$IntervalInMilliseconds = 1000
        )
        $startTime = [DateTime]::Now
        while (-not ($sb.Invoke())) {
            if (([DateTime]::Now - $startTime).TotalMilliseconds -gt $timeoutInMilliseconds) {
                return $false
            }
            Start-Sleep -Milliseconds $intervalInMilliseconds > $null
        }
        return $true
    }
}

AfterAll {
    Get-RJob | Remove-RJob -Force -ErrorAction SilentlyContinue
}

# ---- test/powershell/engine/Job/Jobs.Tests.ps1 ----

Describe 'Basic Job Tests' -Tags 'Feature' {
    BeforeAll {
        # Make sure we do not have any jobs running
        Get-RJob | Remove-RJob -Force
        $timeBeforeStartedJob = Get-Date
        $startedJob = Start-RJob -Name 'StartedJob' -Scriptblock { 1 + 1 } | Wait-RJob
        $timeAfterStartedJob = Get-Date

        function script:ValidateJobInfo($job, $state, $hasMoreData, $command)
        {
            $job.State | Should -BeExactly $state
            $job.HasMoreData | Should -Be $hasMoreData

            if($command -ne $null)
            {
                $job.Command | Should -BeExactly $command
            }
        }
    }

    AfterAll {
        $startedJob | Remove-RJob -Force -ErrorAction SilentlyContinue
    }

    Context 'Basic tests' {

        BeforeDiscovery {
            $invalidPathTestCases = @(
                @{ path = "This is an invalid path"; case = "invalid path"; errorId = "DirectoryNotFoundException,*"}
                @{ path = ""; case = "empty string"; errorId = "ParameterArgumentValidationError,*"}
                @{ path = " "; case = "whitespace string (single space)"; errorId = "ParameterArgumentValidationError,*"}
            )
        }

        AfterEach {
            Get-RJob | Where-Object { $_.Id -ne $startedJob.Id } | Remove-RJob -ErrorAction SilentlyContinue -Force
        }

        It 'Can start, wait and receive a Job' {
            $job = Start-RJob -ScriptBlock { 1 + 1 }
            $result = $job | Wait-RJob | Receive-RJob
            ValidateJobInfo -job $job -state 'Completed' -hasMoreData $false -command ' 1 + 1 '
            $result | Should -Be 2
        }

        It 'Can run nested jobs' {
            $job = Start-RJob -ScriptBlock { Start-RJob -ScriptBlock { 1 + 1 } | Wait-RJob | Receive-RJob }
            ValidateJobInfo -job $job -state 'Running' -hasMoreData $true -command ' Start-RJob -ScriptBlock { 1 + 1 } | Wait-RJob | Receive-RJob '
            $result = $job | Wait-RJob | Receive-RJob
            $result | Should -Be 2
        }

        It 'Can get errors messages from job' {
            $job = Start-RJob -ScriptBlock { throw 'MyError' } | Wait-RJob
            Receive-RJob -Job $job -ErrorVariable ev -ErrorAction SilentlyContinue
            $ev[0].Exception.Message | Should -BeExactly 'MyError'
        }

        It 'Can get warning messages from job' {
            $job = Start-RJob -ScriptBlock { Write-Warning 'MyWarning' } | Wait-RJob
            Receive-RJob -Job $job -WarningVariable wv -WarningAction SilentlyContinue
            $wv | Should -BeExactly 'MyWarning'
        }

        It 'Can get verbose message from job' {
            $job = Start-RJob -ScriptBlock { Write-Verbose -Verbose 'MyVerbose' } | Wait-RJob
            $VerboseMsg = $job.ChildJobs[0].verbose.readall()
            $VerboseMsg | Should -BeExactly 'MyVerbose'
        }

        It 'Can get progress message from job' {
            $job = Start-RJob -ScriptBlock { Write-Progress -Activity 1 -Status 2  } | Wait-RJob
            $ProgressMsg = $job.ChildJobs[0].progress.readall()
            $ProgressMsg[0].Activity | Should -BeExactly 1
            $ProgressMsg[0].StatusDescription | Should -BeExactly 2
        }

        It 'Can use the user specified working directory parameter with whitespace' {
            $path = Join-Path -Path $TestDrive -ChildPath "My Dir"
            $null = New-Item -ItemType Directory -Path "$path"
            $job = Start-RJob -ScriptBlock { $PWD } -WorkingDirectory $path | Wait-RJob
            $jobOutput = Receive-RJob $job
            $jobOutput | Should -BeExactly $path.ToString()
        }

        It 'Can specify the working directory with a PSPath' {
            try {
                Push-Location 'Temp:\'
                $job = Start-RJob -ScriptBlock { $PWD } -WorkingDirectory $pwd.Path | Wait-RJob
                $jobOutput = Receive-RJob $job
                $jobOutput | Should -BeExactly $pwd.Path
            } finally {
                Pop-Location
            }
        }

        It 'Can use the user specified working directory parameter with quote' -Skip:($IsWindows) {
            $path = Join-Path -Path $TestDrive -ChildPath "My ""Dir"
            $null = New-Item -ItemType Directory -Path "$path"
            $job = Start-RJob -ScriptBlock { $PWD } -WorkingDirectory $path | Wait-RJob
            $jobOutput = Receive-RJob $job
            $jobOutput | Should -BeExactly $path.ToString()
        }

        # Left out: 'Verifies the working directory parameter path with trailing backslash' runs on Windows only.

        It 'Throws an error when the working directory parameter is <case>' -TestCases $invalidPathTestCases {
            param($path, $case, $errorId)

            {Start-RJob -ScriptBlock { 1 + 1 } -WorkingDirectory $path} | Should -Throw -ErrorId $errorId
        }

        It 'Verifies that the current working directory is preserved' {
            $job = Start-RJob -ScriptBlock { $PWD }
            $location = $job | Wait-RJob | Receive-RJob
            $job | Remove-RJob
            $location.Path | Should -BeExactly $PWD.Path
        }

        It "Create job with native command" {
            try {
                $nativeJob = Start-RJob { & "$PSHOME/pwsh" -c 1+1 }
                $nativeJob | Wait-RJob
                $nativeJob.State | Should -BeExactly "Completed"
                $nativeJob.HasMoreData | Should -BeTrue
                Receive-RJob $nativeJob | Should -BeExactly 2
                Remove-RJob $nativeJob
                { Get-RJob $nativeJob -ErrorAction Stop } | Should -Throw -ErrorId "JobWithSpecifiedNameNotFound,*"
            }
            finally {
                Remove-RJob $nativeJob -Force -ErrorAction SilentlyContinue
            }
        }
    }

    Context 'Wait-Job tests' {

        BeforeDiscovery {
            $waitJobTestCases = @(
                @{ parameters = { @{ Name = $startedJob.Name } } ; property  = '-Name'},
                @{ parameters = { @{ Id = $startedJob.Id } } ; property  = '-Id'},
                @{ parameters = { @{ Job = $startedJob } } ; property  = '-Job'},
                @{ parameters = { @{ InstanceId = $startedJob.InstanceId } } ; property  = '-InstanceId'},
                @{ parameters = { @{ State = $startedJob.State } } ; property  = '-State'}
            )
        }

        AfterEach {
            Get-RJob | Where-Object { $_.Id -ne $startedJob.Id } | Remove-RJob -ErrorAction SilentlyContinue -Force
        }

        It 'Can wait for jobs to complete using <property>' -TestCases $waitJobTestCases {
            param($parameters)
            $parameters = & $parameters
            $job = Wait-RJob @parameters
            ValidateJobInfo -job $job -state 'Completed' -hasMoreData $true -command ' 1 + 1 '
        }

        It 'Can wait for any job to complete' {
            $jobs = 1..3 | ForEach-Object { $seconds = $_ ; Start-RJob -ScriptBlock { Start-Sleep -Seconds $using:seconds ; $using:seconds} }
            $waitedJob = Wait-RJob -Job $jobs -Any
            ValidateJobInfo -job $waitedJob -state 'Completed' -hasMoreData $true -command ' Start-Sleep -Seconds $using:seconds ; $using:seconds'
            $result = $waitedJob | Receive-RJob
            ## We check for $result to be less than 4 so that any of the jobs completing first will considered a success.
            $result | Should -BeLessThan 4
            ## Check none of the jobs threw errors.
            $jobs.Error | Should -BeNullOrEmpty
        }

        It 'Can timeout waiting for a job' {
            $job = Start-RJob -ScriptBlock { Start-Sleep -Seconds 10 }
            $job | Wait-RJob -TimeoutSec 1
            ValidateJobInfo -job $job -state 'Running' -hasMoreData $true -command ' Start-Sleep -Seconds 10 '
        }
    }

    Context 'Receive-job tests' {
        It 'Can Receive-Job with state change events' {
            $result = Start-RJob -Name 'ReceiveWriteEventsJob' -ScriptBlock { 1 + 1 } | Receive-RJob -Wait -WriteEvents
            $result.Count | Should -Be 3
            $result[0] | Should -Be 2
            $result[1].GetType().FullName | Should -BeExactly 'System.Management.Automation.JobStateEventArgs'
        }

        It 'Can Receive-Job with job object and result' {
            $result = Start-RJob -ScriptBlock { 1 + 1 } | Receive-RJob -Wait -WriteJobInResults
            $result.Count | Should -Be 2
            ValidateJobInfo -job $result[0] -command ' 1 + 1 ' -state 'Completed' -hasMoreData $false
            $result[1] | Should -Be 2
            $result[0] | Remove-RJob -Force -ErrorAction SilentlyContinue
        }

        It 'Can Receive-Job and autoremove' {
            $result = Start-RJob -Name 'ReceiveJobAutoRemove' -ScriptBlock { 1 + 1 } | Receive-RJob -Wait -AutoRemoveJob
            $result | Should -Be 2
            { Get-RJob -Name 'ReceiveJobAutoRemove' -ErrorAction Stop } | Should -Throw -ErrorId 'JobWithSpecifiedNameNotFound,*'
        }

        It 'Can Receive-Job and keep results' {
            $job = Start-RJob -ScriptBlock { 1 + 1 } | Wait-RJob
            $result = Receive-RJob -Keep -Job $job
            $result | Should -Be 2
            $result2 = Receive-RJob -Job $job
            $result2 | Should -Be 2
            $result3 = Receive-RJob -Job $job
            $result3 | Should -BeNullOrEmpty
            $job | Remove-RJob -Force -ErrorAction SilentlyContinue
        }

        It 'Can Receive-Job with NoRecurse' {
            $job = Start-RJob -ScriptBlock { 1 + 1 }
            $result = Receive-RJob -Wait -NoRecurse -Job $job
            $result | Should -BeNullOrEmpty
            $job | Remove-RJob -Force -ErrorAction SilentlyContinue
        }

        # Left out: 'Can Receive-Job using ComputerName' selects the child jobs of remoting jobs by
        # computer name; Receive-RJob has no -ComputerName (its jobs run on this computer).

        It 'Can Receive-Job using Location' {
            $jobName = 'ReceiveUsingLocation'
            $job = Start-RJob -ScriptBlock { 1 + 1 } -Name $jobName | Wait-RJob
            $result = Receive-RJob -Location localhost -Job $job
            $result | Should -Be 2
            $job | Remove-RJob -Force -ErrorAction SilentlyContinue
        }

        It 'Can receive a job with -wait switch' {
            $job = Start-RJob -ScriptBlock { 1 + 1 }
            $result = $job | Receive-RJob -Wait
            ValidateJobInfo -job $job -state 'Completed' -hasMoreData $false -command ' 1 + 1 '
            $result | Should -Be 2
        }
    }

    Context 'Get-Job tests' {
        BeforeDiscovery {
            $getJobTestCases = @(
                @{ parameters = { @{ Name = $startedJob.Name } } ; property = 'Name'},
                @{ parameters = { @{ Id = $startedJob.Id } } ; property = 'Id'},
                @{ parameters = { @{ InstanceId = $startedJob.InstanceId } } ; property = 'InstanceId'},
                @{ parameters = { @{ State = $startedJob.State } } ; property = 'State'}
            )

            $getJobSwitches = @(
                @{ parameters = { @{ Before = $timeAfterStartedJob } }; property = '-Before'},
                @{ parameters = { @{ After = $timeBeforeStartedJob } }; property = '-After'},
                @{ parameters = { @{ HasMoreData = $true } }; property = '-HasMoreData'}
            )

            $getJobChildJobs = @(
                @{ parameters = { @{ IncludeChildJob = $true } }; property = '-IncludeChildJob'},
                @{ parameters = { @{ ChildJobState = 'Completed' } }; property = '-ChildJobState'}
            )
        }

        AfterEach {
            Get-RJob | Where-Object { $_.Id -ne $startedJob.Id } | Remove-RJob -ErrorAction SilentlyContinue -Force
        }

        It 'Can Get-Job with <property>' -TestCases $getJobTestCases {
            param($parameters)
            $parameters = & $parameters
            $job = Get-RJob @parameters
            ValidateJobInfo -job $job -state 'Completed' -hasMoreData $true -command ' 1 + 1 '
        }

        It 'Can Get-Job with <property>' -TestCases $getJobSwitches {
            param($parameters)
            $parameters = & $parameters
            $job = Get-RJob @parameters
            ValidateJobInfo -job $job -state 'Completed' -hasMoreData $true -Name 'StartedJob'
        }

        It 'Can Get-Job with <property>' -TestCases $getJobChildJobs {
            param($parameters)
            $parameters = & $parameters
            $jobs = Get-RJob @parameters
            $jobs.Count | Should -Be 2
            ValidateJobInfo -job $jobs[0] -state 'Completed' -hasMoreData $true -Name 'StartedJob'
            ValidateJobInfo -job $jobs[1] -state 'Completed' -hasMoreData $true
        }
    }

    Context 'Remove-Job tests' {
        # The test pattern used here is different from other tests since there is a scoping issue in Pester.
        # If BeforeEach is used then $removeJobTestCases does not bind when the It is called.
        # This implementation works around the problem by using a BeforeAll and creating a job inside the It.
        BeforeDiscovery {
            $removeJobTestCases = @(
                @{ property = 'Name'}
                @{ property = 'Id'}
                @{ property = 'InstanceId'}
                @{ property = 'State'}
            )
        }

        It 'Can Remove-Job with <property>' -TestCases $removeJobTestCases {
            param($property)
            $jobToRemove = Start-RJob -ScriptBlock { 1 + 1 } -Name 'JobToRemove' | Wait-RJob
            $splat = @{ $property = $jobToRemove.$property }
            Remove-RJob @splat
            Get-RJob $jobToRemove -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
    }

    Context 'Stop-Job tests' {
        # The test pattern used here is different from other tests since there is a scoping issue in Pester.
        # If BeforeEach is used then $stopJobTestCases does not bind when the It is called.
        # This implementation works around the problem by using a BeforeAll and creating a job inside the It.
        BeforeDiscovery {
            $stopJobTestCases = @(
                @{ property = 'Name'}
                @{ property = 'Id'}
                @{ property = 'InstanceId'}
                @{ property = 'State'}
            )
        }

        BeforeEach {
            # 20 seconds is chosen to be large, so that the job is in running state when Stop-Job is called.
            $jobToStop = Start-RJob -Scriptblock {
                1..80 | ForEach-Object {
                    Write-Output $_
                    Start-Sleep -Milliseconds 250
                }
            } -Name 'JobToStop'
            # Wait until the job is actually running and executing the script
            do {
                $data = Receive-RJob -Job $jobToStop
            } while (($data.Count -eq 0) -and ($jobToStop.State -eq 'Running'))
        }

        AfterEach {
            Remove-RJob $jobToStop -Force -ErrorAction SilentlyContinue
        }

        It 'Can Stop-Job with <property>' -TestCases $stopJobTestCases {
            param($property)
            $splat = @{ $property = $jobToStop.$property }
            Stop-RJob @splat
            ValidateJobInfo -job $jobToStop -state 'Stopped' -hasMoreData $false
        }
    }

    Context 'Background pwsh process should terminate after job is done' {
        It "Can clean up background pwsh process after job is done" {
            $job = Start-RJob { $pid }
            $processId = Receive-RJob $job -Wait

            try {
                $process = Get-Process -Id $processId -ErrorAction Stop
                Wait-UntilTrue { $process.HasExited } -IntervalInMilliseconds 300 | Should -BeTrue
            } catch {
                $_.FullyQualifiedErrorId | Should -BeExactly 'NoProcessFoundForGivenId,Microsoft.PowerShell.Commands.GetProcessCommand'
            }

            Remove-RJob $job -Force
        }

        It "Can clean up background pwsh process when job is stopped" {
            $job = Start-RJob { $pid; Start-Sleep -Second 10 }

            # Wait for the pid to be received.
            Wait-UntilTrue { [bool](Receive-RJob $job -Keep) } | Should -BeTrue
            $processId = Receive-RJob $job

            # Stop the job and wait for the cleanup to finish.
            Stop-RJob $job

            try {
                $process = Get-Process -Id $processId -ErrorAction Stop
                Wait-UntilTrue { $process.HasExited } -IntervalInMilliseconds 300 | Should -BeTrue
            } catch {
                $_.FullyQualifiedErrorId | Should -BeExactly 'NoProcessFoundForGivenId,Microsoft.PowerShell.Commands.GetProcessCommand'
            }

            Remove-RJob $job -Force
        }

        It "Can clean up background pwsh process when job is removed" {
            $job = Start-RJob { $pid; Start-Sleep -Second 10 }

            # Wait for the pid to be received.
            Wait-UntilTrue { [bool](Receive-RJob $job -Keep) } | Should -BeTrue
            $processId = Receive-RJob $job

            # Remove the job and wait for the cleanup to finish.
            Remove-RJob $job -Force

            try {
                $process = Get-Process -Id $processId -ErrorAction Stop
                Wait-UntilTrue { $process.HasExited } -IntervalInMilliseconds 300 | Should -BeTrue
            } catch {
                $_.FullyQualifiedErrorId | Should -BeExactly 'NoProcessFoundForGivenId,Microsoft.PowerShell.Commands.GetProcessCommand'
            }
        }
    }
}

# ---- test/powershell/Modules/Microsoft.PowerShell.Core/Job.Tests.ps1 ----

Describe "Job Cmdlet Tests" -Tag "CI" {
    Context "Simple Jobs" {
        BeforeEach {
            $j = Start-RJob -ScriptBlock { 1 + 1 } -Name "My Job"
        }
        AfterEach {
            Get-RJob | Remove-RJob -Force
        }
        It "Start-Job produces a job object" {
            $j | Should -BeOfType System.Management.Automation.Job
            $j.Name | Should -BeExactly "My Job"
        }
        It "Get-Job retrieves a job object" {
            (Get-RJob -Id $j.Id) | Should -BeOfType System.Management.Automation.Job
        }
        It "Get-Job retrieves an array of job objects" {
            Start-RJob -ScriptBlock { 2 * 2 }
            $jobs = Get-RJob
            $jobs.Count | Should -Be 2
            foreach ($job in $jobs)
            {
                $job | Should -BeOfType System.Management.Automation.Job
            }
        }
        It "Remove-Job can remove a job" {
            Remove-RJob $j -Force
            { Get-RJob $j -ErrorAction Stop } | Should -Throw -ErrorId "JobWithSpecifiedNameNotFound,*"
        }
        It "Receive-Job can retrieve job results" {
            Wait-RJob -Timeout 60 -Id $j.id | Should -Not -BeNullOrEmpty
            Receive-RJob -Id $j.id | Should -Be 2
        }
        # Left out: the two -RunAs32 tests; -RunAs32 starts a 32-bit Windows PowerShell process.
    }
    Context "Jobs with arguments" {
        It "Start-Job accepts arguments" {
            $sb = { Write-Output $args[1]; Write-Output $args[0] }
            $j = Start-RJob -ScriptBlock $sb -ArgumentList "$TestDrive", 42
            Wait-RJob -Timeout (5 * 60) $j | Should -Be $j
            $r = Receive-RJob $j
            $r -Join "," | Should -Be "42,$TestDrive"
        }
    }
    Context "jobs which take time" {
        BeforeEach {
            $j = Start-RJob -ScriptBlock { Start-Sleep -Seconds 8 }
        }
        AfterEach {
            Get-RJob | Remove-RJob -Force
        }
        It "Wait-Job will wait for a job" {
            $result = Wait-RJob $j
            $result | Should -Be $j
            $j.State | Should -BeExactly "Completed"
        }
        It "Wait-Job will timeout waiting for a job" {
            $result = Wait-RJob -Timeout 2 $j
            $result | Should -BeNullOrEmpty
        }
        It "Stop-Job will stop a job" {
            Stop-RJob -Id $j.Id
            $out = Receive-RJob $j -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -BeNullOrEmpty
            $j.State | Should -BeExactly "Stopped"
        }
        It "Remove-Job will not remove a running job" {
            $id = $j.Id
            Remove-RJob $j -ErrorAction SilentlyContinue
            $job = Get-RJob -Id $id
            $job | Should -Be $j
        }
        It "Remove-Job -Force will remove a running job" {
            $id = $j.Id
            Remove-RJob $j -Force
            $job = Get-RJob -Id $id -ErrorAction SilentlyContinue
            $job | Should -BeNullOrEmpty
        }
    }
    Context "Retrieving partial output from jobs" {
        BeforeAll {
            function GetResults($job, $n, $keep)
            {
                $results = @()

                # $count allows us to bail out after 5 minutes, avoiding an endless loop
                for ($count = 0; $results.Count -lt $n; $count++)
                {
                    if ($count -eq 1000)
                    {
                        # It's been 5 minutes and we still have collected enough results!
                        throw "Receive-Job behaves suspiciously: Cannot receive $n results in 5 minutes."
                    }

                    # Wait to allow data to be produced
                    Start-Sleep -Milliseconds 300

                    if ($keep)
                    {
                        $results = Receive-RJob -Keep $job
                    }
                    else
                    {
                        $results += Receive-RJob $job
                    }
                }

                return $results
            }

            function CheckContent($array)
            {
                for ($i=1; $i -lt $array.Count; $i++)
                {
                    if ($array[$i] -ne ($array[$i-1] + 1))
                    {
                        return $false
                    }
                }

                return $true
            }

        }
        BeforeEach {
            $j = Start-RJob -ScriptBlock { $count = 1; while ($true) { Write-Output ($count++); Start-Sleep -Milliseconds 30 } }
        }
        AfterEach {
            Get-RJob | Remove-RJob -Force
        }

        It "Receive-Job will retrieve partial output" {
            $result1 = GetResults $j 5 $false
            $result2 = GetResults $j 5 $false
            CheckContent ($result1 + $result2) | Should -BeTrue
        }
        It "Receive-Job will retrieve partial output, including -Keep results" {
            $result1 = GetResults $j 5 $true
            $result2 = GetResults $j ($result1.Count + 5) $false
            Compare-Object -SyncWindow 0 -PassThru $result1 $result2[0..($result1.Count-1)] | Should -BeNullOrEmpty
            $result2[$result1.Count - 1] + 1 | Should -Be $result2[$result1.Count]
        }
    }
}

# Left out from Job.Tests.ps1:
# - 'Debug-job test': Debug-Job attaches the debugger to a job's runspace (and is -Pending upstream).
# - 'Ampersand background test': the `&` operator always starts a built-in Start-Job job.
# - 'Start-Job with -PSVersion parameter': -PSVersion selects Windows PowerShell 5.1.
