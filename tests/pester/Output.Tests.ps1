# Output is bounded and complete (issue: Stop means stopped, point 5). Line-level completeness of
# a million lines is proven in tests/engine.rs; here the whole module runs in this pwsh.

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    function Get-RssMiB { [int](((Get-Content /proc/self/status) -match '^VmRSS:' -split '\s+')[1]) / 1024 }
}

Describe 'Bounded output' {
    AfterEach { Remove-AllRJob }

    It 'a job writing 1 GiB grows this pwsh by less than 64 MiB, and keeps every byte' {
        [GC]::Collect(); [GC]::WaitForPendingFinalizers()
        $before = Get-RssMiB
        # 1 GiB in lines of 1024 bytes (1023 x and a newline): 1,048,576 lines.
        $job = Start-RJob -FilePath sh -ArgumentList '-c', 'yes "$(head -c 1023 /dev/zero | tr "\0" x)" | head -c 1073741824'
        $peak = $before
        while (-not $job.IsFinished) {
            $peak = [Math]::Max($peak, (Get-RssMiB))
            $null = Wait-RJob $job -Timeout 1 # a real wait; RSS is sampled between waits
        }
        $peak = [Math]::Max($peak, (Get-RssMiB))
        Write-Host "figure: 1 GiB of job output: pwsh RSS $before MiB before, peak $peak MiB (growth $($peak - $before) MiB)"
        $job.State | Should -Be 'Completed'
        ($peak - $before) | Should -BeLessThan 64 -Because "RSS went from $before MiB to a peak of $peak MiB"
        # Every line comes back, in order, through Receive-RJob's bounded batches; receiving keeps
        # pwsh within the bound too.
        $count = 0; $last = $null
        Receive-RJob $job | ForEach-Object {
            if (++$count % 65536 -eq 0) { $peak = [Math]::Max($peak, (Get-RssMiB)) }
            $last = $_
        }
        Write-Host "figure: after receiving it all: peak $peak MiB (growth $($peak - $before) MiB)"
        ($peak - $before) | Should -BeLessThan 64 -Because "receiving must not hold the output either (peak $peak MiB)"
        $count | Should -Be 1048576
        $last | Should -Be ('x' * 1023)
    }

    It 'streams while the job runs' {
        $job = Start-RJob -FilePath sh -ArgumentList '-c', 'echo first; exec sleep 60'
        Wait-Until { $job.ChildJobs[0].Output.Count -gt 0 } -Because 'the first line to reach the job''s Output stream'
        Receive-RJob $job | Should -Be 'first'
        $job.State | Should -Be 'Running'
    }
}
