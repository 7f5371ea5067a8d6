# A script written for Start-Job runs unchanged with Start-RJob (issue 6, "Done when"): the same
# text, with only Start-Job replaced, gives the same result.

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    # Uses $using:, -InputObject and pipeline input, -ArgumentList, Get-Job | Wait-Job,
    # Receive-Job -Wait -AutoRemoveJob, Receive-Job with -ErrorVariable, and Remove-Job.
    $script:Original = @'
$factor = 3
$jobs = @(
    Start-Job -Name times { $input | ForEach-Object { $_ * $using:factor } } -InputObject 7
    1..3 | Start-Job -Name sum { ($input | Measure-Object -Sum).Sum }
    Start-Job -Name args { param($a, $b) "$a-$b" } -ArgumentList 'x', 'y'
    Start-Job -Name fails { Write-Error 'soft'; 'kept' }
)
$finished = Get-Job | Wait-Job
$results = [ordered]@{}
$results.finished = @($finished.Name) -join ','
$results.states = @($jobs.State) -join ','
$results.times = Receive-Job -Name times
$results.sum = Receive-Job -Name sum
$results.args = Receive-Job -Name args
$results.fails = Receive-Job -Name fails -ErrorVariable errs -ErrorAction SilentlyContinue
$results.errors = @($errs).Count
$results.auto = Start-Job { 'auto' } | Receive-Job -Wait -AutoRemoveJob
Get-Job | Remove-Job
$results.left = @(Get-Job).Count
[pscustomobject]$results
'@
}

Describe 'A script written for Start-Job' {
    AfterEach {
        Remove-AllRJob
        Get-Job | Remove-Job -Force
    }

    It 'runs unchanged with Start-RJob and gives what it gives with Start-Job' {
        $builtin = & ([scriptblock]::Create($Original))
        $swapped = & ([scriptblock]::Create(($Original -replace '\bStart-Job\b', 'Start-RJob')))
        Get-RJob | Should -BeNullOrEmpty
        $swapped.finished | Should -Be 'times,sum,args,fails'
        $swapped.times | Should -Be 21
        $swapped.sum | Should -Be 6
        foreach ($p in $builtin.PSObject.Properties.Name) {
            "$($swapped.$p)" | Should -Be "$($builtin.$p)" -Because "'$p' must be the same with Start-RJob"
        }
    }
}
