# The module as a whole: manifest, loading, help, formatting, completion.

BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

Describe 'RJob module' {
    AfterEach { Remove-AllRJob }

    BeforeAll {
        $script:commands = 'Start-RJob', 'Get-RJob', 'Stop-RJob', 'Wait-RJob', 'Receive-RJob', 'Remove-RJob'
    }

    It 'exports exactly the six job commands, named explicitly in the manifest' {
        $manifest = Import-PowerShellDataFile (Join-Path $RepoRoot 'module/RJob.psd1')
        $manifest.FunctionsToExport | Should -Be $commands
        (Get-Command -Module RJob).Name | Sort-Object | Should -Be ($commands | Sort-Object)
    }

    It 'has help with a synopsis and an example for <_>' -ForEach @('Start-RJob', 'Get-RJob', 'Stop-RJob', 'Wait-RJob', 'Receive-RJob', 'Remove-RJob') {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeLike "$_ *[[]*" # the generated syntax line means no help was found
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        foreach ($p in (Get-Command $_).Parameters.Keys | Where-Object { $_ -notin [System.Management.Automation.PSCmdlet]::CommonParameters -and $_ -notin [System.Management.Automation.PSCmdlet]::OptionalCommonParameters }) {
            ($help.parameters.parameter | Where-Object name -EQ $p).description | Should -Not -BeNullOrEmpty -Because "$p needs a description"
        }
    }

    It 'shows jobs in a table like Get-Job' {
        Start-RJob -Name tabled -FilePath sleep -ArgumentList 60 | Out-Null
        $text = Get-RJob | Format-Table | Out-String -Width 200
        $text | Should -Match 'Id\s+Name\s+PSJobTypeName\s+State\s+HasMoreData\s+Location\s+Command'
        $text | Should -Match '\d+\s+tabled\s+RJob\.Native\s+Running\s+False\s+localhost\s+sleep 60'
    }

    It 'completes job names and ids' {
        $job = Start-RJob -Name completion-target -FilePath sleep -ArgumentList 60
        $line = 'Stop-RJob -Name completion-t'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'completion-target'
        $line = 'Get-RJob -Id '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain ([string]$job.Id)
        $line = 'Get-RJob -State Runn'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'Running'
    }

    It 'reloads with Import-Module -Force and keeps the jobs' {
        $job = Start-RJob -FilePath sleep -ArgumentList 60
        Import-Module (Join-Path $RepoRoot 'module/RJob.psd1') -Force
        (Get-RJob).Id | Should -Contain $job.Id
        Stop-RJob -Id $job.Id
        (Get-RJob -Id $job.Id).State | Should -Be 'Stopped'
    }

    It 'loads the native library from the module folder' {
        [RJob.Interop.Engine]::LibraryPath | Should -Be (Join-Path $RepoRoot 'module/bin/linux-x64/librjob.so')
        [RJob.Interop.Engine]::Version | Should -Match '^\d+\.\d+\.\d+'
    }
}
