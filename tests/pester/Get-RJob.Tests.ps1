BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

Describe 'Get-RJob' {
    AfterEach { Remove-AllRJob }

    BeforeEach {
        $script:a = Start-RJob -Name alpha -FilePath sleep -ArgumentList 30
        $script:b = Start-RJob -Name beta -FilePath true
        Wait-RJob $script:b | Out-Null
    }

    It 'lists every job in id order' {
        (Get-RJob).Id | Should -Be @($a.Id, $b.Id)
    }

    It 'filters by -Id, -Name (with wildcards), -InstanceId and -State' {
        (Get-RJob -Id $b.Id).Name | Should -Be 'beta'
        (Get-RJob -Name al*).Id | Should -Be $a.Id
        (Get-RJob -Name ALPHA).Id | Should -Be $a.Id
        (Get-RJob -InstanceId $a.InstanceId).Id | Should -Be $a.Id
        (Get-RJob -State Completed).Id | Should -Be $b.Id
        (Get-RJob -State Running).Id | Should -Be $a.Id
        (Get-RJob $a.Id).Name | Should -Be 'alpha'
    }

    It 'writes ObjectNotFound errors for literal ids and names, and nothing for wildcards' {
        Get-RJob -Id 987654 -ErrorAction SilentlyContinue -ErrorVariable e1 | Should -BeNullOrEmpty
        $e1[0].FullyQualifiedErrorId | Should -Be 'JobWithSpecifiedSessionNotFound,RJob.Commands.GetRJobCommand'
        $e1[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $e1[0].TargetObject | Should -Be 987654
        Get-RJob -Name nope -ErrorAction SilentlyContinue -ErrorVariable e2 | Should -BeNullOrEmpty
        $e2[0].FullyQualifiedErrorId | Should -Be 'JobWithSpecifiedNameNotFound,RJob.Commands.GetRJobCommand'
        Get-RJob -InstanceId ([guid]::NewGuid()) -ErrorAction SilentlyContinue -ErrorVariable e3 | Should -BeNullOrEmpty
        $e3[0].FullyQualifiedErrorId | Should -Be 'JobWithSpecifiedInstanceIdNotFound,RJob.Commands.GetRJobCommand'
        Get-RJob -Name nope* -ErrorVariable e4 | Should -BeNullOrEmpty
        $e4 | Should -BeNullOrEmpty
    }

    It 'reports found jobs and errors for the missing ones in one call' {
        $r = Get-RJob -Id $a.Id, 987654 -ErrorAction SilentlyContinue -ErrorVariable e
        $r.Id | Should -Be $a.Id
        $e.Count | Should -Be 1
    }

    It 'rejects bad input as parameter errors' {
        { Get-RJob -Name '' } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.GetRJobCommand'
        { Get-RJob -Id 'abc' } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,RJob.Commands.GetRJobCommand'
        { Get-RJob -State Sleepy } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,RJob.Commands.GetRJobCommand'
    }

    It 'finds a name holding quotes, spaces, a newline and $(...) literally' {
        $odd = "it's `"odd`" `$(whoami) and`na newline"
        $j = Start-RJob -Name $odd -FilePath true | Wait-RJob
        (Get-RJob -Name $odd).Id | Should -Be $j.Id
        (Get-RJob -Name "it's*").Id | Should -Be $j.Id
        Remove-RJob -Name $odd
        Get-RJob -Id $j.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'job objects are live' {
        $j = Start-RJob -FilePath sleep -ArgumentList 60
        $j.State | Should -Be 'Running'
        Stop-RJob -Id $j.Id -Force
        $j.State | Should -Be 'Stopped'
        $j.PSEndTime | Should -Not -BeNullOrEmpty
    }
}
