# The module as a whole: manifest, loading, help, formatting, completion.

BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

Describe 'RJob module' {
    AfterEach { Remove-AllRJob }

    BeforeAll {
        $script:commands = 'Start-RJob', 'Get-RJob', 'Stop-RJob', 'Wait-RJob', 'Receive-RJob', 'Remove-RJob', 'Set-RJobOption', 'Get-RJobOption', 'Install-RJobRemote'
    }

    It 'exports exactly the job, pool and remote-install commands, compiled cmdlets named explicitly in the manifest' {
        $manifest = Import-PowerShellDataFile (Join-Path $RepoRoot 'module/RJob.psd1')
        $manifest.CmdletsToExport | Should -Be $commands
        $manifest.RootModule | Should -Be 'bin/RJob.dll' -Because 'the assembly is the module: nothing is compiled or dot-sourced at import'
        (Get-Command -Module RJob).Name | Sort-Object | Should -Be ($commands | Sort-Object)
        (Get-Command -Module RJob).CommandType | Sort-Object -Unique | Should -Be 'Cmdlet'
    }

    It 'has help with a synopsis and an example for <_>' -ForEach @('Start-RJob', 'Get-RJob', 'Stop-RJob', 'Wait-RJob', 'Receive-RJob', 'Remove-RJob', 'Set-RJobOption', 'Get-RJobOption', 'Install-RJobRemote') {
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
        $text | Should -Match '\d+\s+tabled\s+RJob\.Native\s+Running\s+True\s+localhost\s+sleep 60' -Because 'HasMoreData is True while a job runs, as with Start-Job'
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
        Import-Module $RJobManifest -Force
        (Get-RJob).Id | Should -Contain $job.Id
        Stop-RJob -Id $job.Id
        (Get-RJob -Id $job.Id).State | Should -Be 'Stopped'
    }

    It 'loads the native library from the module folder, never from the system path' {
        Start-RJob -FilePath true | Wait-RJob | Out-Null
        $loaded = @((Get-Content /proc/self/maps) -match 'librjob\.so' | ForEach-Object { ($_ -split '\s+', 6)[5] } | Sort-Object -Unique)
        $loaded.Count | Should -Be 1
        $moduleBase = (Get-Module RJob).ModuleBase
        $loaded[0] | Should -BeIn @((Join-Path $moduleBase 'bin/linux-x64/librjob.so'), (Join-Path $moduleBase 'bin/librjob.so'))
    }
}
