# Every exported command has real help, as Get-Help shows it: a synopsis, a description, at least
# two examples, inputs, outputs and related links, and every parameter documented as the code
# declares it (type, required, position, pipeline input, wildcards, aliases). The facts are
# checked against Get-Command through the rules in HelpRules.ps1; the about_RJob topic too.

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'HelpRules.ps1')
    $commands = foreach ($cmd in Get-Command -Module RJob | Sort-Object Name) {
        @{ Command = $cmd.Name; Parameters = @(Get-HelpParameterNames $cmd | ForEach-Object { @{ Command = $cmd.Name; Name = $_ } }) }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'HelpRules.ps1')
    # Prose still to be written reads TODO (scripts/Sync-Help.ps1 puts it there).
    function Test-Prose([string] $Text) { -not [string]::IsNullOrWhiteSpace($Text) -and $Text -notmatch '\bTODO\b' }
}

Describe 'The module exports' {
    It 'every RJob command, each with help' {
        (Get-Command -Module RJob).Name | Sort-Object | Should -Be ($HelpCommandOrder | Sort-Object)
    }
}

Describe 'Help for <Command>' -ForEach $commands {
    BeforeAll {
        $cmd = Get-Command $Command
        $help = Get-Help $Command -Full
    }

    It 'has a synopsis of its own' {
        $synopsis = [string]$help.Synopsis
        Test-Prose $synopsis | Should -BeTrue -Because "the synopsis is '$synopsis'"
        # Without a help file Get-Help makes one up, with the syntax as its synopsis.
        $synopsis.Trim() | Should -Not -BeLike "$Command *"
    }

    It 'has a description' {
        $text = ($help.description | ForEach-Object Text) -join "`n"
        Test-Prose $text | Should -BeTrue -Because "the description is '$text'"
    }

    It 'has at least two examples, each with code and an explanation' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($e in $examples) {
            [string]$e.code | Should -Match "\b$([regex]::Escape($Command))\b" -Because "example '$($e.title)' runs the command"
            Test-Prose (($e.remarks | ForEach-Object Text) -join "`n") | Should -BeTrue -Because "example '$($e.title)' says what it does"
        }
    }

    It 'names its inputs and outputs' {
        @($help.inputTypes.inputType).Count | Should -BeGreaterThan 0
        foreach ($i in $help.inputTypes.inputType) { Test-Prose ([string]$i.type.name) | Should -BeTrue }
        @($help.returnValues.returnValue).Count | Should -BeGreaterThan 0
        foreach ($r in $help.returnValues.returnValue) { Test-Prose ([string]$r.type.name) | Should -BeTrue }
    }

    It 'links related commands' {
        @($help.relatedLinks.navigationLink).Count | Should -BeGreaterThan 0
    }

    It 'shows one syntax per parameter set, with that set''s parameters' {
        $sets = @(Get-HelpParameterSets $cmd)
        $items = @($help.syntax.syntaxItem)
        $items.Count | Should -Be $sets.Count
        for ($i = 0; $i -lt $sets.Count; $i++) {
            $want = (@(Get-HelpSetParameters $sets[$i]).Name | Sort-Object) -join ' '
            $have = (@($items[$i].parameter.name) | Sort-Object) -join ' '
            $have | Should -Be $want -Because "syntax $($i + 1) is the parameter set '$($sets[$i].Name)'"
        }
    }

    It 'documents no parameter the command does not have' {
        $documented = @($help.parameters.parameter.name)
        $documented | Where-Object { $_ -notin $cmd.Parameters.Keys } | Should -BeNullOrEmpty
    }

    It 'documents -<Name> as the code declares it' -ForEach $Parameters {
        $p = Get-Help $Command -Parameter $Name -ErrorAction Stop
        Test-Prose (($p.description | ForEach-Object Text) -join "`n") | Should -BeTrue -Because "-$Name needs a description"
        $facts = Get-ParameterFacts -Command (Get-Command $Command) -Name $Name
        [string]$p.type.name | Should -Be $facts.Type -Because 'the type'
        [string]$p.required | Should -Be $facts.Required -Because 'required'
        [string]$p.position | Should -Be $facts.Position -Because 'the position'
        [string]$p.pipelineInput | Should -Be $facts.PipelineInput -Because 'the pipeline input'
        [string]$p.globbing | Should -Be $facts.Globbing -Because 'wildcards'
        [string]$p.aliases | Should -Be $facts.Aliases -Because 'the aliases'
    }
}

Describe 'about_RJob' {
    It 'is found by Get-Help and covers <_>' -ForEach @('script', 'native', 'grace', 'spool', 'ThrottleLimit', 'Get-Job', 'LIMITS') {
        $topic = Get-Help about_RJob
        [string]$topic | Should -Match 'about_RJob'
        [string]$topic | Should -Match $_
    }
}
