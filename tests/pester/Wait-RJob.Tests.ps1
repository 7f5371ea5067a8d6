BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

Describe 'Wait-RJob' {
    AfterEach { Remove-AllRJob }

    It 'waits for all jobs and writes them' {
        $jobs = @((Start-RJob -FilePath true), (Start-RJob { 'x' }))
        $out = $jobs | Wait-RJob
        $out.Id | Should -Be $jobs.Id
        $out.State | Sort-Object -Unique | Should -Be 'Completed'
    }

    It '-Any returns the finished job while another runs' {
        $slow = Start-RJob -FilePath sleep -ArgumentList 60
        $fast = Start-RJob -FilePath true
        $out = Wait-RJob -Id $slow.Id, $fast.Id -Any
        $out.Id | Should -Be $fast.Id
        $slow.State | Should -Be 'Running'
    }

    It 'writes nothing when the timeout passes first, like Wait-Job' {
        $slow = Start-RJob -FilePath sleep -ArgumentList 60
        Wait-RJob $slow -Timeout 0 | Should -BeNullOrEmpty
        $slow.State | Should -Be 'Running'
    }

    It 'rejects a negative timeout other than -1' {
        $slow = Start-RJob -FilePath sleep -ArgumentList 60
        { Wait-RJob $slow -Timeout -5 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.WaitRJobCommand'
    }

    It 'rejects wrong types and empty names as parameter errors' {
        { Wait-RJob -Job 'nope' } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,RJob.Commands.WaitRJobCommand'
        { Wait-RJob -Name '' } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.WaitRJobCommand'
        { Wait-RJob -Id $null } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.WaitRJobCommand'
    }

    It 'writes not-found errors for unknown ids' {
        Wait-RJob -Id 987654 -ErrorAction SilentlyContinue -ErrorVariable e
        $e[0].FullyQualifiedErrorId | Should -Be 'JobWithSpecifiedSessionNotFound,RJob.Commands.WaitRJobCommand'
    }
}
