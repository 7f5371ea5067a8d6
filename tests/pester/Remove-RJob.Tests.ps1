BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

Describe 'Remove-RJob' {
    AfterEach { Remove-AllRJob }

    It 'removes a finished job' {
        $job = Start-RJob -FilePath true | Wait-RJob
        Remove-RJob $job
        Get-RJob | Should -BeNullOrEmpty
        $job.State | Should -Be 'Completed' # the object keeps its last state
    }

    It 'refuses a running job without -Force, like Remove-Job' {
        $job = Start-RJob -FilePath sleep -ArgumentList 60
        Remove-RJob $job -ErrorAction SilentlyContinue -ErrorVariable e
        $e[0].FullyQualifiedErrorId | Should -Be 'JobObjectNotFinishedCannotBeRemoved,RJob.Commands.RemoveRJobCommand'
        $e[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $job.State | Should -Be 'Running'
    }

    It '-Force stops and removes a running job and its process' {
        $job = Start-RJob -FilePath sleep -ArgumentList 60
        $processId = $job.ProcessId
        Remove-RJob $job -Force
        Get-RJob | Should -BeNullOrEmpty
        Test-ProcessAlive $processId | Should -BeFalse
    }

    It '-WhatIf removes nothing' {
        $job = Start-RJob -FilePath true | Wait-RJob
        Remove-RJob $job -WhatIf
        (Get-RJob).Id | Should -Be $job.Id
    }

    It 'rejects wrong types and empty names as parameter errors' {
        { Remove-RJob -Job (Get-Date) } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,RJob.Commands.RemoveRJobCommand'
        { Remove-RJob -Name '' } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.RemoveRJobCommand'
        { Remove-RJob -State Nonsense } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,RJob.Commands.RemoveRJobCommand'
    }

    It 'writes not-found errors for unknown names' {
        Remove-RJob -Name ghost -ErrorAction SilentlyContinue -ErrorVariable e
        $e[0].FullyQualifiedErrorId | Should -Be 'JobWithSpecifiedNameNotFound,RJob.Commands.RemoveRJobCommand'
    }
}
