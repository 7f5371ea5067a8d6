# Many runspaces starting and stopping jobs at once (issue: Stop means stopped, point 6).

BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

Describe 'Concurrency' {
    AfterEach { Remove-AllRJob }

    It '8 runspaces starting and stopping 500 jobs each: no deadlock, no duplicate or lost id, all end' {
        $module = $RJobManifest
        $ids = 1..8 | ForEach-Object -ThrottleLimit 8 -Parallel {
            Import-Module $using:module
            $runspace = $_
            for ($i = 0; $i -lt 500; $i++) {
                $job = if ($i % 2) { Start-RJob -FilePath true } else { Start-RJob -FilePath sleep -ArgumentList 60 -Name "c$runspace-$i" }
                switch ($i % 4) {
                    0 { Stop-RJob $job }
                    2 { Stop-RJob $job -Force }
                    default { $null = Wait-RJob $job -Timeout 60 }
                }
                $job.Id
                $job.ChildJobs[0].Id
            }
        }
        # Each job and its child job take an id each from PowerShell's one id space.
        $ids.Count | Should -Be 8000
        @($ids | Sort-Object -Unique).Count | Should -Be 8000
        $min, $max = ($ids | Measure-Object -Minimum -Maximum).Minimum, ($ids | Measure-Object -Minimum -Maximum).Maximum
        ($max - $min + 1) | Should -Be 8000 -Because 'ids are consecutive: none lost'
        $states = Get-RJob -Id $ids | Where-Object { $_ -is [RJob.RJobJob] } | Group-Object State -NoElement | ForEach-Object { "$($_.Name)=$($_.Count)" }
        $states | Should -Be @('Completed=2000', 'Stopped=2000')
    }
}
