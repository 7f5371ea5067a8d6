# Scenario 7: -Confirm answered by a person in a real interactive pwsh, driven through tmux.

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    $script:session = "rjob-confirm-$PID"
    $pwsh = $env:RJOB_TEST_PWSH
    if (-not $pwsh) { $pwsh = Join-Path $RepoRoot '.tools/pwsh/pwsh' }
    $module = $RJobManifest
    & tmux kill-session -t $session 2>$null
    & tmux new-session -d -s $session -x 200 -y 50 $pwsh -NoProfile -NoLogo
    if ($LASTEXITCODE) { throw 'tmux could not start pwsh' }

    function Get-Screen { (& tmux capture-pane -p -J -S -200 -t $session) -join "`n" }
    function Send-Line([string] $Text) {
        & tmux send-keys -t $session -l $Text
        & tmux send-keys -t $session Enter
    }
    # Runs a command and waits for the unique marker it prints last.
    function Invoke-Interactive([string] $Command) {
        $marker = "DONE$(New-Token)"
        Send-Line "$Command; 'MARK' + '$marker'"
        Wait-Until { (Get-Screen) -match "MARK$marker" } -TimeoutSeconds 30 -Because "the command '$Command' to finish"
    }
    function Get-StateOnScreen {
        $marker = New-Token
        Send-Line "'STATE$marker=' + `$j.State"
        Wait-Until { (Get-Screen) -match "STATE$marker=(\w+)" } -Because 'the state line'
        [regex]::Match((Get-Screen), "STATE$marker=(\w+)").Groups[1].Value
    }

    Wait-Until { (Get-Screen) -match '(?m)^PS .*>' } -TimeoutSeconds 30 -Because 'the pwsh prompt'
    Invoke-Interactive "Import-Module '$module'"
    Invoke-Interactive '$j = Start-RJob -ScriptBlock { Start-Sleep -Seconds 120 }'
}

AfterAll {
    & tmux kill-session -t $session 2>$null
}

Describe 'Stop-RJob -Confirm at an interactive prompt' {
    It '-WhatIf changes nothing' {
        Invoke-Interactive 'Stop-RJob -Id $j.Id -WhatIf'
        Get-Screen | Should -Match 'What if: Performing the operation "Stop" on target "Id: \d+'
        Get-StateOnScreen | Should -Be 'Running'
    }

    It 'answering N leaves the job running' {
        Send-Line 'Stop-RJob -Id $j.Id -Confirm'
        Wait-Until { (Get-Screen) -match '\[Y\] Yes\s+\[A\] Yes to All\s+\[N\] No' } -Because 'the confirmation prompt'
        Send-Line 'N'
        Get-StateOnScreen | Should -Be 'Running'
    }

    It 'answering Y stops it' {
        Send-Line 'Stop-RJob -Id $j.Id -Confirm'
        Wait-Until { ((Get-Screen) -split '\[Y\] Yes').Count -ge 3 } -Because 'the second confirmation prompt'
        Send-Line 'Y'
        Wait-Until { (Get-StateOnScreen) -eq 'Stopped' } -Because 'the job to stop'
    }

    It 'Yes to All stops every job with one answer' {
        Invoke-Interactive '$k = 1..3 | ForEach-Object { Start-RJob -FilePath sleep -ArgumentList 60 }'
        Send-Line '$k | Stop-RJob -Confirm'
        Wait-Until { ((Get-Screen) -split '\[Y\] Yes').Count -ge 4 } -Because 'the prompt for the first of three jobs'
        Send-Line 'A'
        $marker = New-Token
        Send-Line "'ALL$marker=' + ((`$k.State | Sort-Object -Unique) -join ',')"
        Wait-Until { (Get-Screen) -match "ALL$marker=Stopped\s" } -Because 'all three to stop'
        ((Get-Screen) -split '\[Y\] Yes').Count | Should -Be 4 # one prompt, not three
    }
}
