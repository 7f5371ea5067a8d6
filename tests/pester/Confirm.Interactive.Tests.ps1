# Scenario 7: -Confirm answered by a person in a real interactive pwsh, driven through tmux.

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    . $PSScriptRoot/TmuxPwsh.ps1
    Start-TmuxPwsh "rjob-confirm-$PID"
    $null = Invoke-Interactive '($j = Start-RJob -ScriptBlock { Start-Sleep -Seconds 120 })'
}

AfterAll {
    Stop-TmuxPwsh
}

Describe 'Stop-RJob -Confirm at an interactive prompt' {
    It '-WhatIf changes nothing' {
        $null = Invoke-Interactive 'Stop-RJob -Id $j.Id -WhatIf'
        Get-Screen | Should -Match 'What if: Performing the operation "Stop" on target "Id: \d+'
        Invoke-Interactive '$j.State' | Should -Be 'Running'
    }

    It 'answering N leaves the job running' {
        Send-Line 'Stop-RJob -Id $j.Id -Confirm'
        Wait-Until { (Get-Screen) -match '\[Y\] Yes\s+\[A\] Yes to All\s+\[N\] No' } -Because 'the confirmation prompt'
        Send-Line 'N'
        Invoke-Interactive '$j.State' | Should -Be 'Running'
    }

    It 'answering Y stops it' {
        Send-Line 'Stop-RJob -Id $j.Id -Confirm'
        Wait-Until { ((Get-Screen) -split '\[Y\] Yes').Count -ge 3 } -Because 'the second confirmation prompt'
        Send-Line 'Y'
        Wait-Until { (Invoke-Interactive '$j.State') -eq 'Stopped' } -Because 'the job to stop'
    }

    It 'Yes to All stops every job with one answer' {
        $null = Invoke-Interactive '($k = 1..3 | ForEach-Object { Start-RJob -FilePath sleep -ArgumentList 60 })'
        Send-Line '$k | Stop-RJob -Confirm'
        Wait-Until { ((Get-Screen) -split '\[Y\] Yes').Count -ge 4 } -Because 'the prompt for the first of three jobs'
        Send-Line 'A'
        Invoke-Interactive '($k.State | Sort-Object -Unique) -join ","' | Should -Be 'Stopped'
        ((Get-Screen) -split '\[Y\] Yes').Count | Should -Be 4 # one prompt, not three
    }
}
